// Reflex's toast provider, loaded on the first toast. The app itself sends none; Reflex's
// overlay toasts "Cannot connect to server" when the websocket fails. Sonner (about 10 KB
// gzip) then loads and shows it; until then no page pays for it.
import { useContext, useEffect, useState } from "react";
import { refs } from "$/utils/state";
import { ColorModeContext } from "$/utils/context";

let sonner = null;
let ready = false; // the <Toaster> is mounted and listening
let loading = null;
const queued = [];
const listeners = new Set();

function load() {
  loading ??= import("sonner").then((module) => {
    sonner = module;
    listeners.forEach((notify) => notify(module));
    return module;
  });
  return loading;
}

// Sends once the <Toaster> is mounted; earlier toasts wait for it.
function send(kind, args) {
  if (ready) return kind ? sonner.toast[kind](...args) : sonner.toast(...args);
  queued.push([kind, args]);
  load();
}

const toast = Object.assign((...args) => send(null, args), {
  ...Object.fromEntries(["success", "info", "warning", "error", "loading", "message"]
    .map((kind) => [kind, (...args) => send(kind, args)])),
  // A dismissal before anything was shown needs no toaster.
  dismiss: (id) => {
    if (sonner) return sonner.toast.dismiss(id);
    const at = queued.findIndex(([, args]) => id === undefined || args[1]?.id === id);
    if (at >= 0) queued.splice(at, id === undefined ? queued.length : 1);
  },
});

export function LazyToaster(props) {
  const { resolvedColorMode } = useContext(ColorModeContext);
  const [module, setModule] = useState(sonner);
  refs["__toast"] = toast;

  useEffect(() => {
    if (module) return undefined;
    listeners.add(setModule);
    return () => listeners.delete(setModule);
  }, [module]);

  useEffect(() => {
    if (!module) return;
    ready = true;
    for (const [kind, args] of queued.splice(0)) {
      if (kind) module.toast[kind](...args);
      else module.toast(...args);
    }
  }, [module]);

  return module ? <module.Toaster theme={resolvedColorMode} {...props} /> : null;
}
