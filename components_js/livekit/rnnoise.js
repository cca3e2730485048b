// RNNoise (ML noise suppression) from @sapphi-red/web-noise-suppressor 0.4.1: the package
// the original disTokoloshe shipped, maintained, with RNNoise built to WebAssembly (and a
// SIMD build it picks when the browser has SIMD) and its own AudioWorklet processor, so
// the model runs off the main thread. Imported lazily (load.js): its worklet and WebAssembly
// files are emitted into our static build by the bundler and fetched only when turned on.
import { RnnoiseWorkletNode, loadRnnoise } from "@sapphi-red/web-noise-suppressor";
import workletUrl from "@sapphi-red/web-noise-suppressor/rnnoiseWorklet.js?url";
import wasmUrl from "@sapphi-red/web-noise-suppressor/rnnoise.wasm?url";
import simdUrl from "@sapphi-red/web-noise-suppressor/rnnoise_simd.wasm?url";

let binary = null; // the model, fetched once per page

export async function createRnnoise(context) {
  if (typeof AudioWorkletNode !== "function" || typeof WebAssembly !== "object") {
    throw new Error("no AudioWorklet or WebAssembly");
  }
  binary = binary || loadRnnoise({ url: wasmUrl, simdUrl });
  const wasmBinary = await binary.catch((error) => { binary = null; throw error; });
  await context.audioWorklet.addModule(workletUrl);
  // the worklet compiles the model itself; under a CSP without 'wasm-unsafe-eval' that
  // fails there and the node reports a processorerror
  return new RnnoiseWorkletNode(context, { maxChannels: 1, wasmBinary });
}
