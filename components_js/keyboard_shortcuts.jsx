// Emits onShortcut(key) for single-key shortcuts pressed outside text fields.
import React, { useEffect, useRef, useState } from "react";

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

// A button that, once activated, reports the physical key (KeyboardEvent.code) pressed next.
export function KeyCapture({ value, onCapture, ...rest }) {
  const [listening, setListening] = useState(false);
  const onKeyDown = (event) => {
    if (!listening || event.code === "Tab") return;
    event.preventDefault();
    event.stopPropagation();
    setListening(false);
    if (event.code !== "Escape" && onCapture) onCapture(event.code);
  };
  return (
    <button
      type="button"
      onClick={() => setListening(true)}
      onKeyDown={onKeyDown}
      onBlur={() => setListening(false)}
      aria-live="polite"
      {...rest}
    >
      {listening ? "Press a key…" : value}
    </button>
  );
}
