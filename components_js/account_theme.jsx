// Keeps the light/dark theme in step with the account: applies the saved theme when it
// arrives, and reports the user's own changes so Python can save them.
import { useContext, useEffect, useRef } from "react";
import { ColorModeContext } from "$/utils/context";

export function AccountTheme({ theme, onThemeChange }) {
  const { rawColorMode, setColorMode } = useContext(ColorModeContext);
  const applied = useRef(null);

  useEffect(() => {
    if (!theme || theme === applied.current) return;
    applied.current = theme;
    if (theme !== rawColorMode) setColorMode(theme);
  }, [theme]);

  useEffect(() => {
    if (applied.current === null || rawColorMode === applied.current) return;
    applied.current = rawColorMode;
    if (onThemeChange) onThemeChange(rawColorMode);
  }, [rawColorMode]);

  return null;
}
