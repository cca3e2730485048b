// The local microphone: published while transmitting (an open mic, or push-to-talk while
// its key is held; never while deafened), with the chosen processing applied live, and a
// hint when the user talks while not transmitting. Reads its room from LiveKitRoom.
import { useEffect, useRef, useState } from "react";
import { subscribeKeys } from "../keyboard.js";
import { rms } from "./audio_graph.js";
import { emitter, useRoom } from "./context.js";
import { errorCode, errorDetail } from "./media_errors.js";

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

export function Microphone({
  enabled, deafened, deviceId, pushToTalk, pushToTalkKey,
  noiseSuppression, echoCancellation, autoGainControl,
  onTransmitting, onTalkingWhileMuted, onError,
}) {
  const { lk, room, audio, report } = useRoom("Microphone");
  const events = useRef({});
  events.current = { onTransmitting, onTalkingWhileMuted, onError };
  const emit = emitter(events);
  const fail = (error) => emit("onError", errorCode(error), errorDetail(error));

  const keyHeld = usePushToTalk(pushToTalk, pushToTalkKey);
  const transmitting = Boolean(room) && !deafened && (pushToTalk ? keyHeld : Boolean(enabled));
  useEffect(() => { emit("onTransmitting", transmitting); }, [transmitting]);

  const processing = {
    noiseSuppression: noiseSuppression !== false,
    echoCancellation: echoCancellation !== false,
    autoGainControl: autoGainControl !== false,
  };
  const processingKey = JSON.stringify(processing);
  const appliedProcessing = useRef(processingKey);
  const micTrack = () => {
    const publication = room && lk && room.localParticipant.getTrackPublication(lk.Track.Source.Microphone);
    return publication && publication.track;
  };

  // On while transmitting. A failure leaves the call listen-only.
  useEffect(() => {
    if (!room) return;
    if (transmitting && !micTrack()) appliedProcessing.current = processingKey; // a new capture
    const capture = deviceId ? { deviceId, ...processing } : processing;
    room.localParticipant.setMicrophoneEnabled(transmitting, capture).catch(fail).finally(report);
  }, [room, transmitting]);

  // Browsers only honour processing when capture starts, so the track is restarted in
  // place, which swaps the sent audio without renegotiating or leaving the call.
  useEffect(() => {
    const track = micTrack();
    if (processingKey === appliedProcessing.current || !track) return;
    appliedProcessing.current = processingKey;
    track.restartTrack({ deviceId: deviceId || undefined, ...processing }).catch(fail);
  }, [room, transmitting, processingKey]);

  // Device changes apply live, without rejoining.
  useEffect(() => {
    if (room && deviceId) room.switchActiveDevice("audioinput", deviceId).catch(() => {});
  }, [room, deviceId]);

  useLoudness(Boolean(room) && !transmitting && !deafened, audio, deviceId,
    () => emit("onTalkingWhileMuted"));
  return null;
}
