// The local microphone: published while sending (an open mic, or push-to-talk while its
// key is held; never while deafened), with the chosen processing applied live, and a hint
// when the user talks while not sending. Transmitting means sending with the voice gate
// open: below the gate's threshold the track stays published and carries silence, so other
// people's tiles do not flicker. Reads its room from LiveKitRoom.
import { useEffect, useRef, useState } from "react";
import { subscribeKeys } from "../keyboard.js";
import { rms } from "./audio_graph.js";
import { emitter, useRoom } from "./context.js";
import { errorCode, errorDetail } from "./media_errors.js";
import { VoiceProcessor, needsProcessor } from "./voice_processing.js";

// Whether the push-to-talk key (a KeyboardEvent.code) is held, outside text fields.
function usePushToTalk(enabled, code) {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    setHeld(false);
    if (!enabled) return undefined;
    return subscribeKeys((event, typing) => {
      if (event.type === "blur") setHeld(false);
      else if (event.code !== code) return;
      else if (event.type === "keyup") setHeld(false);
      else if (!typing) {
        event.preventDefault();
        if (!event.repeat) setHeld(true);
      }
    });
  }, [enabled, code]);
  return held;
}

// While active, listens to the microphone and calls onLoud after half a second of sound.
function useLoudness(active, audio, deviceId, onLoud) {
  useEffect(() => {
    if (!active || !audio) return undefined;
    let stream;
    let source;
    let timer;
    let stopped = false;
    navigator.mediaDevices.getUserMedia({ audio: deviceId ? { deviceId } : true }).then((s) => {
      if (stopped) { s.getTracks().forEach((t) => t.stop()); return; }
      stream = s;
      source = audio.context.createMediaStreamSource(stream);
      const analyser = audio.context.createAnalyser();
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let loudFrames = 0;
      timer = window.setInterval(() => {
        loudFrames = rms(analyser, samples) > 0.05 ? loudFrames + 1 : 0;
        if (loudFrames === 5) onLoud();
      }, 100);
    }).catch(() => {});
    return () => {
      stopped = true;
      window.clearInterval(timer);
      if (source) source.disconnect();
      if (stream) stream.getTracks().forEach((t) => t.stop());
    };
  }, [active, audio, deviceId]);
}

// RNNoise and the gate on the sent track, while they are wanted; whether the gate is open.
// The level it measures goes to ownLevel (the OwnLevel meter reads it). Changes are applied
// one after another, each to the newest settings, since attaching one takes a while.
function useVoiceProcessor(track, settings, ownLevel, onFallback) {
  const [gateOpen, setGateOpen] = useState(true);
  const held = useRef({ processor: null, queue: Promise.resolve() });
  const wanted = useRef(settings);
  wanted.current = settings;
  const report = (processor) => ({ levelDb, open, thresholdDb }) => {
    if (held.current.processor !== processor) return;
    if (ownLevel) Object.assign(ownLevel, { levelDb, thresholdDb });
    setGateOpen(open);
  };
  const apply = async () => {
    const now = held.current;
    const attached = now.processor && track.getProcessor() === now.processor;
    if (!needsProcessor(wanted.current)) {
      now.processor = null;
      setGateOpen(true);
      if (ownLevel) ownLevel.levelDb = null;
      if (attached) await track.stopProcessor();
    } else if (attached) {
      await now.processor.update(wanted.current);
    } else {
      const created = new VoiceProcessor(wanted.current, { onFallback });
      created.onReport = report(created);
      now.processor = created;
      await track.setProcessor(created).catch(() => { now.processor = null; onFallback(); });
    }
  };
  useEffect(() => {
    if (!track) return;
    held.current.queue = held.current.queue.then(apply).catch(() => {});
  }, [track, JSON.stringify(settings)]);
  return gateOpen || !track;
}

export function Microphone({
  enabled, deafened, deviceId, pushToTalk, pushToTalkKey, processing,
  onTransmitting, onTalkingWhileMuted, onNoiseFallback, onError,
}) {
  const { lk, room, audio, ownLevel, report } = useRoom("Microphone");
  const events = useRef({});
  events.current = { onTransmitting, onTalkingWhileMuted, onNoiseFallback, onError };
  const emit = emitter(events);
  const fail = (error) => emit("onError", errorCode(error), errorDetail(error));

  // Where RNNoise cannot run, the browser's own suppression stands in, and Python says so.
  const [fallback, setFallback] = useState(false);
  const chosen = processing || {};
  const noise = chosen.noise === "rnnoise" && fallback ? "browser" : chosen.noise || "browser";
  const settings = { noise, gate: chosen.gate || "off", gateDb: Number(chosen.gate_db) || -50 };
  const [track, setTrack] = useState(null);
  const gateOpen = useVoiceProcessor(track, settings, ownLevel, () => {
    setFallback(true);
    emit("onNoiseFallback");
  });

  const keyHeld = usePushToTalk(pushToTalk, pushToTalkKey);
  const sending = Boolean(room) && !deafened && (pushToTalk ? keyHeld : Boolean(enabled));
  const transmitting = sending && gateOpen;
  useEffect(() => { emit("onTransmitting", transmitting); }, [transmitting]);

  // the browser's own processing, on the capture itself
  const capture = {
    noiseSuppression: noise === "browser",
    echoCancellation: chosen.echo_cancellation !== false,
    autoGainControl: chosen.auto_gain_control !== false,
  };
  const processingKey = JSON.stringify(capture);
  const appliedProcessing = useRef(processingKey);
  const micTrack = () => {
    const publication = room && lk && room.localParticipant.getTrackPublication(lk.Track.Source.Microphone);
    return publication && publication.track;
  };

  // On while sending. A failure leaves the call listen-only.
  useEffect(() => {
    if (!room) { setTrack(null); return; }
    if (sending && !micTrack()) appliedProcessing.current = processingKey; // a new capture
    const options = deviceId ? { deviceId, ...capture } : capture;
    room.localParticipant.setMicrophoneEnabled(sending, options).catch(fail)
      .finally(() => { setTrack(micTrack() || null); report(); });
  }, [room, sending]);

  // Browsers only honour processing when capture starts, so the track is restarted in
  // place, which swaps the sent audio without renegotiating or leaving the call.
  useEffect(() => {
    const track = micTrack();
    if (processingKey === appliedProcessing.current || !track) return;
    appliedProcessing.current = processingKey;
    track.restartTrack({ deviceId: deviceId || undefined, ...capture }).catch(fail);
  }, [room, sending, processingKey]);

  // Device changes apply live, without rejoining.
  useEffect(() => {
    if (room && deviceId) room.switchActiveDevice("audioinput", deviceId).catch(() => {});
  }, [room, deviceId]);

  useLoudness(Boolean(room) && !sending && !deafened, audio, deviceId,
    () => emit("onTalkingWhileMuted"));
  return null;
}
