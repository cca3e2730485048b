// Emits onShortcut(key) for single-key shortcuts pressed outside text fields.
import { useEffect, useRef } from "react";

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

export function KeyboardShortcuts({ keys, onShortcut }) {
  const latest = useRef({ keys, onShortcut });
  latest.current = { keys, onShortcut };

  useEffect(() => {
    const onKeyDown = (event) => {
      const target = event.target;
      if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (TYPING.has(target.tagName) || target.isContentEditable)) return;
      const key = (event.shiftKey ? "Shift+" : "") + event.key.toUpperCase();
      const { keys: wanted, onShortcut: emit } = latest.current;
      if (wanted && wanted.includes(key) && emit) {
        event.preventDefault();
        emit(key);
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  return null;
}
