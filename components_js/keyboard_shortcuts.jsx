// Emits onShortcut(key) for single-key shortcuts pressed outside text fields, and a
// button that captures the next key. Keys come through the one shared listener.
import React, { useEffect, useRef, useState } from "react";
import { subscribeKeys } from "./keyboard.js";

export function KeyboardShortcuts({ keys, onShortcut }) {
  const latest = useRef({ keys, onShortcut });
  latest.current = { keys, onShortcut };

  useEffect(() => subscribeKeys((event, typing) => {
    if (event.type !== "keydown" || typing) return;
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = (event.shiftKey ? "Shift+" : "") + String(event.key || "").toUpperCase();
    const { keys: wanted, onShortcut: emit } = latest.current;
    if (wanted && wanted.includes(key) && emit) {
      event.preventDefault();
      emit(key);
    }
  }), []);

  return null;
}

// A button that, once activated, shows `prompt` and reports the physical key
// (KeyboardEvent.code) pressed next.
export function KeyCapture({ value, prompt, onCapture, ...rest }) {
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
      {listening ? prompt : value}
    </button>
  );
}
