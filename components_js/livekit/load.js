// Each loader imports once and then hands back the same settled promise: awaiting that
// continues in the same task, while a repeated import() waits for a task of the module
// loader, and the browser renders the whole room change (tens of ms) before the join goes on.
function once(load) {
  let loading = null;
  return () => {
    loading = loading || load().catch((error) => {
      loading = null; // a failed download is tried again next time
      throw error;
    });
    return loading;
  };
}

// livekit-client is imported lazily, so pages without a call never download it.
export const loadLiveKit = once(() => import("livekit-client"));
// The E2EE worker decrypts frames off the main thread; bundled as its own file.
export const loadE2EEWorker = once(() => import("livekit-client/e2ee-worker?worker"));
// RNNoise and its WebAssembly, only once someone turns it on.
export const loadNoiseSuppressor = once(() => import("./rnnoise.js"));
