// Owns one livekit-client Room per mount. Python passes props in (server URL, token,
// mic/camera/deafen switches, chosen devices) and receives typed events out
// (connection state, participants, media errors, device list). Everything visible is
// composed in Python; this file only attaches media to the elements it is given.
//
// livekit-client is imported lazily, so pages without a call never download it.
import React, { createContext, useContext, useEffect, useRef, useState } from "react";

const RoomContext = createContext(null);
const loadLiveKit = () => import("livekit-client");
// The E2EE worker decrypts frames off the main thread; bundled as its own file.
const loadE2EEWorker = () => import("livekit-client/e2ee-worker?worker");
// One shared key per room, placed at the slot of its epoch, so senders switch to a new
// key while frames still in flight under the old one can be decrypted.
function makeRoomKeyProvider(lk) {
  class RoomKeyProvider extends lk.BaseKeyProvider {
    constructor() {
      super({ sharedKey: true, ratchetWindowSize: 0, failureTolerance: -1 });
    }

    async setRoomKey(passphrase, index) {
      this.onSetEncryptionKey(await lk.createKeyMaterialFromString(passphrase), undefined, index);
    }
  }
  return new RoomKeyProvider();
}

// Screen-share presets: contentHint "detail" keeps text sharp, "motion" keeps 60 fps smooth.
const SHARE_PRESETS = {
  "720p30": { resolution: { width: 1280, height: 720, frameRate: 30 }, contentHint: "detail", maxBitrate: 2_500_000 },
  "1080p30": { resolution: { width: 1920, height: 1080, frameRate: 30 }, contentHint: "detail", maxBitrate: 4_000_000 },
  "1080p60": { resolution: { width: 1920, height: 1080, frameRate: 60 }, contentHint: "motion", maxBitrate: 6_000_000 },
  // the display's own size and refresh rate, as far as the browser allows
  native: { resolution: { width: 3840, height: 2160, frameRate: 60 }, contentHint: "motion", maxBitrate: 10_000_000 },
};
const CODEC_MIME = { av1: "video/AV1", vp9: "video/VP9", vp8: "video/VP8", h264: "video/H264" };

function encodableCodecs() {
  const caps = (window.RTCRtpSender && RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities("video")) || { codecs: [] };
  const mimes = new Set(caps.codecs.map((c) => c.mimeType.toLowerCase()));
  return Object.keys(CODEC_MIME).filter((codec) => mimes.has(CODEC_MIME[codec].toLowerCase()));
}

// Never fall back silently: the note says why another codec is used.
function chooseShareCodec(wanted, encrypted) {
  const available = encodableCodecs();
  if (wanted === "av1" && encrypted) {
    return available.includes("vp9")
      ? { codec: "vp9", note: "AV1 cannot be end-to-end encrypted by the browser yet, so this share uses VP9." }
      : { codec: "vp8", note: "AV1 cannot be end-to-end encrypted by the browser yet, so this share uses VP8." };
  }
  if (!available.includes(wanted)) {
    return { codec: "vp8", note: `This browser cannot encode ${(wanted || "").toUpperCase()}, so this share uses VP8.` };
  }
  return { codec: wanted, note: "" };
}

const E2EE_UNSUPPORTED = "This room requires end-to-end encryption, which this browser does not support. Try a current Chrome, Edge, Firefox or Safari.";

// Remote audio plays through our own WebAudio graph, so a listener's volume can go
// above 100% and each speaker's level can be measured after that gain:
//   remote track -> speaker gain -> analyser -> master (deafen) -> speakers
class AudioGraph {
  constructor() {
    this.context = new AudioContext();
    this.master = this.context.createGain();
    this.master.connect(this.context.destination);
    this.speakers = new Map(); // identity -> { source, gain, analyser, element }
  }

  add(identity, track) {
    this.remove(identity);
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
    this.speakers.set(identity, { source, gain, analyser, element, track });
  }

  remove(identity) {
    const speaker = this.speakers.get(identity);
    if (!speaker) return;
    speaker.source.disconnect();
    speaker.gain.disconnect();
    speaker.analyser.disconnect();
    speaker.track.detach(speaker.element);
    speaker.element.remove();
    this.speakers.delete(identity);
  }

  setGains(gains, screenGains) {
    this.speakers.forEach((speaker, key) => {
      // "<identity>" is someone's voice, "<identity>#screen" the audio of their screen share
      const [identity, kind] = key.split("#");
      const table = kind === "screen" ? screenGains : gains;
      const wanted = table && typeof table[identity] === "number" ? table[identity] : 1;
      speaker.gain.gain.setTargetAtTime(Math.max(0, Math.min(2, wanted)), this.context.currentTime, 0.01);
    });
  }

  level(identity) {
    const speaker = this.speakers.get(identity);
    if (!speaker) return 0;
    const samples = new Float32Array(speaker.analyser.fftSize);
    speaker.analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
    return Math.sqrt(sum / samples.length);
  }

  chime(rising) {
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
    Array.from(this.speakers.keys()).forEach((identity) => this.remove(identity));
    this.context.close();
  }
}

// Reasons the server ends a call for good; anything else is worth a rejoin.
const FINAL_REASONS = new Set(["CLIENT_INITIATED", "DUPLICATE_IDENTITY", "PARTICIPANT_REMOVED", "ROOM_DELETED"]);

function describeParticipants(lk, room, undecryptable = new Set()) {
  const describe = (participant, isLocal) => ({
    identity: participant.identity,
    name: participant.name || participant.identity,
    is_local: isLocal,
    mic_on: participant.isMicrophoneEnabled,
    cam_on: participant.isCameraEnabled,
    speaking: participant.isSpeaking,
    quality: String(participant.connectionQuality || "unknown"),
    // LiveKit calls a participant with no tracks unencrypted; one who sends nothing (a
    // listener without a microphone, or a tab still publishing) sends nothing in the clear.
    encrypted: participant.trackPublications.size === 0 || participant.isEncrypted,
    sharing: participant.isScreenShareEnabled,
    undecryptable: undecryptable.has(participant.identity),
  });
  return [
    describe(room.localParticipant, true),
    ...Array.from(room.remoteParticipants.values()).map((p) => describe(p, false)),
  ];
}

function mediaErrorMessage(kind, error) {
  const name = (error && error.name) || "";
  if (name === "NotAllowedError") return `${kind} access was denied by the browser. You can still listen.`;
  if (name === "NotFoundError" || name === "OverconstrainedError") return `No ${kind.toLowerCase()} was found. You can still listen.`;
  if (name === "NotReadableError") return `The ${kind.toLowerCase()} is in use by another program. You can still listen.`;
  return `${kind} could not start: ${(error && error.message) || error}. You can still listen.`;
}

export function LiveKitRoom({
  serverUrl, token, micEnabled, camEnabled, deafened,
  audioInputId, audioOutputId, videoInputId, gains, e2eeKey, e2eeKeyIndex, e2eeRequired,
  screenShare, sharePreset, shareCodec, shareAudio, screenGains,
  pushToTalk, pushToTalkKey, noiseSuppression, echoCancellation, autoGainControl,
  joinLeaveSounds,
  onConnectionChange, onParticipants, onMediaError, onDevices, onTransmitting,
  onTalkingWhileMuted, onEncryption, onKeyEpoch, onCodecs, onShareResult, children,
}) {
  const [state, setState] = useState({ lk: null, room: null, audio: null });
  const [keyHeld, setKeyHeld] = useState(false);
  // Latest props and callbacks, so the connection effect does not re-run when Python re-renders.
  const events = useRef({});
  events.current = { onConnectionChange, onParticipants, onMediaError, onDevices, onTransmitting,
    onTalkingWhileMuted, onEncryption, onKeyEpoch, onCodecs, onShareResult };
  const emit = (name, ...args) => events.current[name] && events.current[name](...args);
  const latest = useRef({});
  latest.current = { gains, screenGains, joinLeaveSounds, noiseSuppression, echoCancellation, autoGainControl,
    e2eeKey, e2eeKeyIndex, e2eeRequired };
  const undecryptable = useRef(new Set());

  useEffect(() => {
    if (!serverUrl || !token) return undefined;
    let cancelled = false;
    let cleanup = () => {};
    const start = async () => {
      const lk = await loadLiveKit();
      if (cancelled) return;
      const { Room, RoomEvent, Track, DisconnectReason, isE2EESupported } = lk;
      const { noiseSuppression: ns, echoCancellation: ec, autoGainControl: agc } = latest.current;
      // Encrypt whenever the browser can; fail closed where the room requires it.
      let e2ee;
      const key = latest.current.e2eeKey;
      if (key && isE2EESupported()) {
        const { default: E2EEWorker } = await loadE2EEWorker();
        if (cancelled) return;
        const keyProvider = makeRoomKeyProvider(lk);
        await keyProvider.setRoomKey(key, latest.current.e2eeKeyIndex || 0);
        e2ee = { keyProvider, worker: new E2EEWorker() };
      } else if (key && latest.current.e2eeRequired) {
        emit("onMediaError", "encryption", E2EE_UNSUPPORTED);
        emit("onConnectionChange", "disconnected", "E2EE_UNSUPPORTED");
        return;
      }
      undecryptable.current = new Set();
      const room = new Room({
        adaptiveStream: true,
        dynacast: true,
        e2ee,
        audioCaptureDefaults: { noiseSuppression: ns !== false, echoCancellation: ec !== false, autoGainControl: agc !== false },
      });
      const audio = new AudioGraph();
      const report = () => emit("onParticipants", describeParticipants(lk, room, undecryptable.current));
      const onRoomMetadata = (metadata) => {
        // The backend announces key changes here: an epoch number, never a key.
        try {
          const epoch = JSON.parse(metadata || "{}").key_epoch;
          if (Number.isInteger(epoch)) emit("onKeyEpoch", epoch);
        } catch (error) { /* metadata that is not ours */ }
      };
      const onEncryptionError = (error, participant) => {
        const identity = (participant && participant.identity) || (error && error.participantIdentity);
        if (identity && !undecryptable.current.has(identity)) {
          undecryptable.current.add(identity);
          report();
        }
      };
      const reportDevices = async () => {
        const kinds = ["audioinput", "audiooutput", "videoinput"];
        const lists = await Promise.all(kinds.map((kind) => Room.getLocalDevices(kind, false).catch(() => [])));
        emit("onDevices", lists.flat().map((d) => ({ kind: d.kind, device_id: d.deviceId, label: d.label || d.kind })));
      };
      const audioKey = (publication, participant) => {
        if (publication.source === Track.Source.Microphone) return participant.identity;
        if (publication.source === Track.Source.ScreenShareAudio) return `${participant.identity}#screen`;
        return null;
      };
      const onSubscribed = (track, publication, participant) => {
        const key = track.kind === Track.Kind.Audio && audioKey(publication, participant);
        if (key) {
          audio.add(key, track);
          audio.setGains(latest.current.gains, latest.current.screenGains);
        }
        report();
      };
      const onUnsubscribed = (track, publication, participant) => {
        const key = track.kind === Track.Kind.Audio && audioKey(publication, participant);
        if (key) audio.remove(key);
        report();
      };
      const chime = (rising) => () => {
        if (latest.current.joinLeaveSounds !== false) audio.chime(rising);
        report();
      };
      const onDisconnected = (reason) => {
        const name = DisconnectReason[reason] || "UNKNOWN_REASON";
        emit("onConnectionChange", "disconnected", FINAL_REASONS.has(name) ? name : `retry:${name}`);
      };
      const handlers = [
        [RoomEvent.ParticipantConnected, chime(true)],
        [RoomEvent.ParticipantDisconnected, chime(false)],
        [RoomEvent.TrackSubscribed, onSubscribed],
        [RoomEvent.TrackUnsubscribed, onUnsubscribed],
        // unsubscribing fires while the publication still exists; this fires once it is gone
        [RoomEvent.TrackUnpublished, report],
        [RoomEvent.TrackPublished, report],
        [RoomEvent.TrackMuted, report],
        [RoomEvent.TrackUnmuted, report],
        [RoomEvent.LocalTrackPublished, report],
        [RoomEvent.LocalTrackUnpublished, report],
        [RoomEvent.ActiveSpeakersChanged, report],
        [RoomEvent.ConnectionQualityChanged, report],
        [RoomEvent.ParticipantNameChanged, report],
        [RoomEvent.ParticipantEncryptionStatusChanged, report],
        [RoomEvent.EncryptionError, onEncryptionError],
        [RoomEvent.RoomMetadataChanged, onRoomMetadata],
        [RoomEvent.MediaDevicesChanged, reportDevices],
        [RoomEvent.Reconnecting, () => emit("onConnectionChange", "reconnecting", "")],
        [RoomEvent.Reconnected, () => { emit("onConnectionChange", "connected", ""); report(); }],
        [RoomEvent.Disconnected, onDisconnected],
      ];
      handlers.forEach(([event, handler]) => room.on(event, handler));
      cleanup = () => {
        handlers.forEach(([event, handler]) => room.off(event, handler));
        room.disconnect();
        audio.close();
        if (e2ee) e2ee.worker.terminate();
      };
      emit("onConnectionChange", "connecting", "");
      room.connect(serverUrl, token)
        .then(async () => {
          if (cancelled) return;
          if (e2ee) await room.setE2EEEnabled(true);
          emit("onEncryption", e2ee ? "on" : "off");
          setState({ lk, room, audio, keyProvider: e2ee && e2ee.keyProvider });
          emit("onConnectionChange", "connected", "");
          room.startAudio().catch(() => {});
          audio.context.resume().catch(() => {});
          report();
          reportDevices();
          emit("onCodecs", encodableCodecs());
        })
        .catch((error) => {
          if (!cancelled) emit("onConnectionChange", "disconnected", `retry:${(error && error.message) || error}`);
        });
    };
    start().catch((error) => emit("onMediaError", "call", `The call could not start: ${(error && error.message) || error}`));
    return () => {
      cancelled = true;
      setState({ lk: null, room: null, audio: null });
      cleanup();
    };
  }, [serverUrl, token]);

  const { room, audio, keyProvider } = state;

  // A new room key (after someone was removed) applies without reconnecting.
  useEffect(() => {
    if (keyProvider && e2eeKey) keyProvider.setRoomKey(e2eeKey, e2eeKeyIndex || 0);
  }, [keyProvider, e2eeKey, e2eeKeyIndex]);

  // Push-to-talk: the microphone is live only while the chosen key is held.
  useEffect(() => {
    if (!pushToTalk) { setKeyHeld(false); return undefined; }
    const typing = (event) => event.target && ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName);
    const down = (event) => {
      if (event.code === pushToTalkKey && !event.repeat && !typing(event)) { event.preventDefault(); setKeyHeld(true); }
    };
    const up = (event) => { if (event.code === pushToTalkKey) setKeyHeld(false); };
    const release = () => setKeyHeld(false);
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    window.addEventListener("blur", release);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
      window.removeEventListener("blur", release);
    };
  }, [pushToTalk, pushToTalkKey]);

  const transmitting = Boolean(room) && !deafened && (pushToTalk ? keyHeld : Boolean(micEnabled));
  useEffect(() => { emit("onTransmitting", transmitting); }, [transmitting]);

  // Microphone: on while transmitting. A failure leaves the call listen-only.
  useEffect(() => {
    if (!room) return;
    const wanted = transmitting;
    const options = audioInputId ? { deviceId: audioInputId } : undefined;
    room.localParticipant.setMicrophoneEnabled(wanted, options)
      .catch((error) => emit("onMediaError", "microphone", mediaErrorMessage("Microphone", error)))
      .finally(() => emit("onParticipants", describeParticipants(state.lk, room, undecryptable.current)));
  }, [room, transmitting]);

  // Noise suppression, echo cancellation and gain control apply to the live microphone:
  // browsers only honour them when capture starts, so the track is restarted in place,
  // which swaps the sent audio without renegotiating or leaving the call.
  const processing = `${noiseSuppression !== false}|${echoCancellation !== false}|${autoGainControl !== false}`;
  const appliedProcessing = useRef(processing);
  useEffect(() => {
    if (processing === appliedProcessing.current) return;
    const publication = room && state.lk && room.localParticipant.getTrackPublication(state.lk.Track.Source.Microphone);
    const track = publication && publication.track;
    if (!track) return;
    appliedProcessing.current = processing;
    track.restartTrack({
      deviceId: audioInputId || undefined,
      noiseSuppression: noiseSuppression !== false,
      echoCancellation: echoCancellation !== false,
      autoGainControl: autoGainControl !== false,
    }).catch((error) => emit("onMediaError", "microphone", mediaErrorMessage("Microphone", error)));
  }, [room, transmitting, processing]);

  // "You are muted" hint: listen to the microphone while it is not transmitting.
  useEffect(() => {
    if (!room || transmitting || deafened || !audio) return undefined;
    let stream;
    let timer;
    let stopped = false;
    const constraints = audioInputId ? { deviceId: audioInputId } : true;
    navigator.mediaDevices.getUserMedia({ audio: constraints }).then((s) => {
      if (stopped) { s.getTracks().forEach((t) => t.stop()); return; }
      stream = s;
      const source = audio.context.createMediaStreamSource(stream);
      const analyser = audio.context.createAnalyser();
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let loudFrames = 0;
      timer = window.setInterval(() => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
        loudFrames = Math.sqrt(sum / samples.length) > 0.05 ? loudFrames + 1 : 0;
        if (loudFrames === 5) emit("onTalkingWhileMuted");
      }, 100);
    }).catch(() => {});
    return () => {
      stopped = true;
      window.clearInterval(timer);
      if (stream) stream.getTracks().forEach((t) => t.stop());
    };
  }, [room, audio, transmitting, deafened, audioInputId]);

  // Per-speaker volumes and "mute for me", and each screen share's own audio volume.
  useEffect(() => { if (audio) audio.setGains(gains, screenGains); }, [audio, gains, screenGains]);

  // Screen sharing with the chosen quality and codec; a change while sharing restarts it.
  useEffect(() => {
    if (!room || !state.lk) return undefined;
    let stale = false;
    const local = room.localParticipant;
    if (!screenShare) {
      if (local.isScreenShareEnabled) local.setScreenShareEnabled(false).catch(() => {});
      return undefined;
    }
    const { codec, note } = chooseShareCodec(shareCodec, Boolean(keyProvider));
    const preset = SHARE_PRESETS[sharePreset] || SHARE_PRESETS["1080p30"];
    const capture = {
      audio: Boolean(shareAudio),
      systemAudio: shareAudio ? "include" : "exclude",
      contentHint: preset.contentHint,
      resolution: preset.resolution,
    };
    const publish = {
      videoCodec: codec,
      backupCodec: false,
      screenShareEncoding: { maxBitrate: preset.maxBitrate, maxFramerate: preset.resolution.frameRate },
      // one full-quality layer: viewers of a shared screen want detail, not a thumbnail
      screenShareSimulcastLayers: [],
    };
    (async () => {
      if (local.isScreenShareEnabled) await local.setScreenShareEnabled(false);
      await local.setScreenShareEnabled(true, capture, publish);
      if (!stale) emit("onShareResult", true, codec, note);
    })().catch((error) => {
      if (stale) return;
      const cancelled = error && error.name === "NotAllowedError";
      emit("onShareResult", false, "", cancelled ? "" : `Screen sharing failed: ${(error && error.message) || error}`);
    });
    return () => { stale = true; };
  }, [room, screenShare, sharePreset, shareCodec, shareAudio]);

  useEffect(() => {
    if (!room) return;
    const options = videoInputId ? { deviceId: videoInputId } : undefined;
    room.localParticipant.setCameraEnabled(Boolean(camEnabled), options)
      .catch((error) => emit("onMediaError", "camera", mediaErrorMessage("Camera", error)))
      .finally(() => emit("onParticipants", describeParticipants(state.lk, room, undecryptable.current)));
  }, [room, camEnabled]);

  // Device changes apply live, without rejoining.
  useEffect(() => {
    if (room && audioInputId) room.switchActiveDevice("audioinput", audioInputId).catch(() => {});
  }, [room, audioInputId]);
  useEffect(() => {
    if (room && videoInputId) room.switchActiveDevice("videoinput", videoInputId).catch(() => {});
  }, [room, videoInputId]);
  useEffect(() => {
    // Remote audio plays through the AudioContext, so that is where the speaker is chosen.
    if (audio && audioOutputId && audio.context.setSinkId) audio.context.setSinkId(audioOutputId).catch(() => {});
  }, [audio, audioOutputId]);

  // Deafen: stop hearing everyone.
  useEffect(() => {
    if (audio) audio.master.gain.value = deafened ? 0 : 1;
  }, [audio, deafened]);

  return <RoomContext.Provider value={state}>{children}</RoomContext.Provider>;
}

// A live meter of how loud a remote participant is for this listener, after their gain.
export function ParticipantLevel({ identity, ...rest }) {
  const { audio } = useContext(RoomContext) || {};
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!audio) return undefined;
    const timer = window.setInterval(() => setLevel(audio.level(identity)), 100);
    return () => window.clearInterval(timer);
  }, [audio, identity]);
  return <meter min={0} max={1} value={Math.min(1, level)} data-rms={level.toFixed(4)} {...rest} />;
}

// A participant's camera, attached to a <video> that Python placed in a tile.
export function ParticipantVideo({ identity, source, fit, command, commandSeq, ...rest }) {
  const { lk, room } = useContext(RoomContext) || {};
  const video = useRef(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (!room || !lk) return undefined;
    const rerender = () => setTick((n) => n + 1);
    const events = [lk.RoomEvent.TrackSubscribed, lk.RoomEvent.TrackUnsubscribed, lk.RoomEvent.TrackMuted,
      lk.RoomEvent.TrackUnmuted, lk.RoomEvent.LocalTrackPublished, lk.RoomEvent.LocalTrackUnpublished];
    events.forEach((event) => room.on(event, rerender));
    return () => events.forEach((event) => room.off(event, rerender));
  }, [room, lk]);

  const participant = room && (room.localParticipant.identity === identity
    ? room.localParticipant : room.remoteParticipants.get(identity));
  const wanted = source === "screen" ? lk?.Track.Source.ScreenShare : lk?.Track.Source.Camera;
  const track = participant && lk
    ? participant.getTrackPublication(wanted)?.videoTrack : undefined;
  const showing = Boolean(track && !track.isMuted);

  useEffect(() => {
    if (!showing || !video.current) return undefined;
    const element = video.current;
    track.attach(element);
    return () => { track.detach(element); };
  }, [track, showing]);

  // Fullscreen and picture-in-picture, asked for by Python right after the user's click.
  useEffect(() => {
    const element = video.current;
    if (!commandSeq || !element || !showing) return;
    if (command === "fullscreen" && element.requestFullscreen) element.requestFullscreen().catch(() => {});
    if (command === "pip" && document.pictureInPictureEnabled) element.requestPictureInPicture().catch(() => {});
  }, [commandSeq]);

  const style = fit ? { objectFit: fit === "fill" ? "cover" : "contain" } : undefined;
  return <video ref={video} autoPlay playsInline muted hidden={!showing} style={style}
    data-source={source || "camera"} {...rest} />;
}
