// The voice gate ("input sensitivity"), run off the main thread in an AudioWorklet.
// It measures the microphone's level, decides whether it is voice (above the threshold,
// or above the tracked noise floor in automatic mode) and sends silence otherwise. A short
// look-ahead opens the gate before a word's first sound is sent, and a hold with a soft
// release keeps word endings, so speech is not clipped. Messages in: { mode: "off" |
// "auto" | "threshold", thresholdDb }. Messages out, about 20 a second: { levelDb, open,
// thresholdDb }.
const LOOKAHEAD = 512; // samples (about 11 ms at 48 kHz)
const HOLD_SECONDS = 0.3;
const ATTACK_SECONDS = 0.005;
const RELEASE_SECONDS = 0.08;
const REPORT_SECONDS = 0.05;
const SILENT_DB = -100;
const AUTO_MARGIN_DB = 12; // automatic: this far above the noise floor is voice
// the floor falls quickly to a quieter background and rises slowly through speech; neither
// jumps, so a dropped block or one loud word does not move it far
const FLOOR_FALL_DB_PER_SECOND = 20;
const FLOOR_RISE_DB_PER_SECOND = 5;
const AUTO_MIN_DB = -60;
const AUTO_MAX_DB = -25; // never so high that normal speech (-20 to -10 dBFS) is cut

const toDb = (power) => (power > 1e-10 ? 10 * Math.log10(power) : SILENT_DB);

class VoiceGate extends AudioWorkletProcessor {
  constructor() {
    super();
    this.mode = "off";
    this.thresholdDb = -50;
    this.power = 0; // smoothed mean square of the input
    this.floorDb = null; // automatic mode's estimate of the background, from the first sound
    this.gain = 1;
    this.heldFor = 0; // seconds since the level was last above the threshold
    this.delay = new Float32Array(LOOKAHEAD);
    this.delayAt = 0;
    this.sinceReport = 0;
    this.port.onmessage = ({ data }) => {
      if (data && typeof data.mode === "string") this.mode = data.mode;
      if (data && Number.isFinite(data.thresholdDb)) this.thresholdDb = data.thresholdDb;
    };
  }

  threshold(levelDb, seconds) {
    if (this.floorDb === null && levelDb > SILENT_DB) this.floorDb = levelDb;
    if (this.floorDb !== null) {
      const rate = levelDb < this.floorDb ? FLOOR_FALL_DB_PER_SECOND : FLOOR_RISE_DB_PER_SECOND;
      const limit = rate * seconds;
      this.floorDb += Math.max(-limit, Math.min(limit, levelDb - this.floorDb));
    }
    if (this.mode !== "auto") return this.thresholdDb;
    const floorDb = this.floorDb === null ? AUTO_MIN_DB : this.floorDb;
    return Math.min(AUTO_MAX_DB, Math.max(AUTO_MIN_DB, floorDb + AUTO_MARGIN_DB));
  }

  process(inputs, outputs) {
    const input = inputs[0] && inputs[0][0];
    const output = outputs[0] && outputs[0][0];
    if (!output) return true;
    const frames = output.length;
    const seconds = frames / sampleRate;
    let sum = 0;
    if (input) for (let i = 0; i < frames; i++) sum += input[i] * input[i];
    const blockPower = sum / frames;
    // about 20 ms of smoothing: fast enough for a syllable, steady on a tone
    this.power += (blockPower - this.power) * Math.min(1, seconds / 0.02);
    const levelDb = toDb(this.power);
    const thresholdDb = this.threshold(levelDb, seconds);
    const above = this.mode === "off" || levelDb >= thresholdDb;
    this.heldFor = above ? 0 : this.heldFor + seconds;
    const open = this.heldFor < HOLD_SECONDS;
    const target = open ? 1 : 0;
    const step = seconds / (open ? ATTACK_SECONDS : RELEASE_SECONDS);
    for (let i = 0; i < frames; i++) {
      const delayed = this.delay[this.delayAt];
      this.delay[this.delayAt] = input ? input[i] : 0;
      this.delayAt = (this.delayAt + 1) % LOOKAHEAD;
      this.gain += Math.max(-step / frames, Math.min(step / frames, target - this.gain));
      output[i] = delayed * this.gain;
    }
    for (let channel = 1; channel < outputs[0].length; channel++) outputs[0][channel].set(output);
    this.sinceReport += seconds;
    if (this.sinceReport >= REPORT_SECONDS) {
      this.sinceReport = 0;
      this.port.postMessage({ levelDb, open, thresholdDb });
    }
    return true;
  }
}

registerProcessor("voice-gate", VoiceGate);
