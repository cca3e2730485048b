// livekit-client is imported lazily, so pages without a call never download it.
export const loadLiveKit = () => import("livekit-client");
// The E2EE worker decrypts frames off the main thread; bundled as its own file.
export const loadE2EEWorker = () => import("livekit-client/e2ee-worker?worker");
// RNNoise and its WebAssembly, only once someone turns it on.
export const loadNoiseSuppressor = () => import("./rnnoise.js");
