// Remote audio plays through our own WebAudio graph, so a listener's volume can go
// above 100% and each speaker's level can be measured after that gain:
//   remote track -> speaker gain -> analyser -> master (deafen) -> speakers
// Keys: "<identity>" is someone's voice, "<identity>#screen" the audio of their share,
// "<identity>#clip:<extension>" the clips they play into the call through an extension.
export function rms(analyser, samples) {
  analyser.getFloatTimeDomainData(samples);
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

export class AudioGraph {
  constructor() {
    this.context = new AudioContext();
    this.master = this.context.createGain();
    this.master.connect(this.context.destination);
    this.speakers = new Map(); // key -> { source, gain, analyser, element, track }
  }

  add(key, track) {
    if (this.closed) return;
    this.remove(key);
    // Chrome only feeds a remote stream to WebAudio while a media element plays it.
    const element = track.attach();
    element.muted = true;
    const source = this.context.createMediaStreamSource(new MediaStream([track.mediaStreamTrack]));
    const gain = this.context.createGain();
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(gain);
    gain.connect(analyser);
    analyser.connect(this.master);
    this.speakers.set(key, { source, gain, analyser, element, track });
  }

  has(key, track) {
    const speaker = this.speakers.get(key);
    return Boolean(speaker && speaker.track === track);
  }

  remove(key) {
    const speaker = this.speakers.get(key);
    if (!speaker) return;
    speaker.source.disconnect();
    speaker.gain.disconnect();
    speaker.analyser.disconnect();
    speaker.track.detach(speaker.element);
    speaker.element.remove();
    this.speakers.delete(key);
  }

  setGains(gains, screenGains, clipGains) {
    this.speakers.forEach((speaker, key) => {
      const [identity, kind] = key.split("#");
      const tables = { screen: screenGains, clip: clipGains };
      const table = kind ? tables[kind.split(":")[0]] : gains;
      const wanted = table && typeof table[identity] === "number" ? table[identity] : 1;
      speaker.gain.gain.setTargetAtTime(Math.max(0, Math.min(2, wanted)), this.context.currentTime, 0.01);
    });
  }

  setDeafened(deafened) {
    this.master.gain.value = deafened ? 0 : 1;
  }

  level(key) {
    const speaker = this.speakers.get(key);
    if (!speaker) return 0;
    if (!speaker.samples) speaker.samples = new Float32Array(speaker.analyser.fftSize);
    return rms(speaker.analyser, speaker.samples);
  }

  chime(rising) {
    if (this.closed) return;
    const now = this.context.currentTime;
    const tone = this.context.createOscillator();
    const envelope = this.context.createGain();
    tone.frequency.setValueAtTime(rising ? 660 : 880, now);
    tone.frequency.linearRampToValueAtTime(rising ? 880 : 660, now + 0.15);
    envelope.gain.setValueAtTime(0.08, now);
    envelope.gain.exponentialRampToValueAtTime(0.001, now + 0.25);
    tone.connect(envelope).connect(this.master);
    tone.start(now);
    tone.stop(now + 0.26);
  }

  close() {
    this.closed = true;
    Array.from(this.speakers.keys()).forEach((key) => this.remove(key));
    this.context.close();
  }
}
