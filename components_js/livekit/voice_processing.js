// The microphone's own processing, attached to the sent track as a livekit-client
// TrackProcessor, so the track stays published whatever happens inside it:
//   microphone -> RNNoise (when chosen) -> voice gate -> the track that is sent
// Both run in AudioWorklets, off the main thread, in a 48 kHz context of their own (RNNoise
// works only at 48 kHz). RNNoise is downloaded only when first turned on.
import { loadNoiseSuppressor } from "./load.js";

// Served from our own static build (assets/worklets/), under script-src 'self'.
const GATE_WORKLET = "/worklets/voice_gate.js";

// Whether the processor is needed at all for these settings.
export function needsProcessor(settings) {
  return settings.gate !== "off" || settings.noise === "rnnoise";
}

export class VoiceProcessor {
  // onReport({ levelDb, open, thresholdDb }), set by the owner, about 20 times a second;
  // onFallback() once if RNNoise cannot run here.
  constructor(settings, { onFallback }) {
    this.name = "distokoloshe-voice";
    this.settings = settings;
    this.onReport = () => {};
    this.onFallback = onFallback;
    this.rnnoise = null;
  }

  async init({ track }) {
    // This context only feeds the sent track, never the speakers, so it asks for the
    // smallest render buffer the browser allows (128 frames where it can) rather than
    // "interactive" (10 ms on Linux): each buffer it waits for delays the voice.
    this.context = new AudioContext({ sampleRate: 48000, latencyHint: 0 });
    await this.context.audioWorklet.addModule(GATE_WORKLET);
    this.gate = new AudioWorkletNode(this.context, "voice-gate");
    this.gate.port.onmessage = ({ data }) => this.onReport(data);
    const destination = this.context.createMediaStreamDestination();
    this.gate.connect(destination);
    this.processedTrack = destination.stream.getAudioTracks()[0];
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.context.resume().catch(() => {});
    await this.update(this.settings);
  }

  async restart({ track }) {
    if (this.source) this.source.disconnect();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.wire();
  }

  async update(settings) {
    this.settings = settings;
    this.gate.port.postMessage({ mode: settings.gate, thresholdDb: settings.gateDb });
    if (settings.noise === "rnnoise" && !this.rnnoise && !this.failed) {
      try {
        const { createRnnoise } = await loadNoiseSuppressor();
        if (this.context.state === "closed") return;
        this.rnnoise = await createRnnoise(this.context);
        // the model compiles inside the worklet, where a failure is only an event
        this.rnnoise.onprocessorerror = () => this.fail();
      } catch (error) {
        this.fail();
      }
    }
    this.wire();
  }

  fail() {
    if (this.rnnoise) this.rnnoise.disconnect();
    this.rnnoise = null;
    this.failed = true;
    this.wire();
    this.onFallback();
  }

  wire() {
    if (!this.source || this.context.state === "closed") return;
    this.source.disconnect();
    if (this.rnnoise) this.rnnoise.disconnect();
    if (this.rnnoise && this.settings.noise === "rnnoise") {
      this.source.connect(this.rnnoise);
      this.rnnoise.connect(this.gate);
    } else {
      this.source.connect(this.gate);
    }
  }

  async destroy() {
    if (this.rnnoise) this.rnnoise.destroy();
    if (this.source) this.source.disconnect();
    if (this.context && this.context.state !== "closed") await this.context.close();
  }
}
