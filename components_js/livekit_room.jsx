// Owns one livekit-client Room per mount. Python passes props in (server URL, token,
// mic/camera/deafen switches, chosen devices) and receives typed events out
// (connection state, participants, media errors, device list). Everything visible is
// composed in Python; this file only attaches media to the elements it is given.
//
// livekit-client is imported lazily, so pages without a call never download it.
import React, { createContext, useContext, useEffect, useRef, useState } from "react";

const RoomContext = createContext(null);
const loadLiveKit = () => import("livekit-client");

// Reasons the server ends a call for good; anything else is worth a rejoin.
const FINAL_REASONS = new Set(["CLIENT_INITIATED", "DUPLICATE_IDENTITY", "PARTICIPANT_REMOVED", "ROOM_DELETED"]);

function describeParticipants(lk, room) {
  const describe = (participant, isLocal) => ({
    identity: participant.identity,
    name: participant.name || participant.identity,
    is_local: isLocal,
    mic_on: participant.isMicrophoneEnabled,
    cam_on: participant.isCameraEnabled,
    speaking: participant.isSpeaking,
    quality: String(participant.connectionQuality || "unknown"),
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
  audioInputId, audioOutputId, videoInputId,
  onConnectionChange, onParticipants, onMediaError, onDevices, children,
}) {
  const [state, setState] = useState({ lk: null, room: null });
  const audioHost = useRef(null);
  // Latest callbacks, so the connection effect does not re-run when Python re-renders.
  const events = useRef({});
  events.current = { onConnectionChange, onParticipants, onMediaError, onDevices };
  const emit = (name, ...args) => events.current[name] && events.current[name](...args);

  useEffect(() => {
    if (!serverUrl || !token) return undefined;
    let cancelled = false;
    let cleanup = () => {};
    loadLiveKit().then((lk) => {
      if (cancelled) return;
      const { Room, RoomEvent, Track, DisconnectReason } = lk;
      const room = new Room({ adaptiveStream: true, dynacast: true });
      const report = () => emit("onParticipants", describeParticipants(lk, room));
      const reportDevices = async () => {
        const kinds = ["audioinput", "audiooutput", "videoinput"];
        const lists = await Promise.all(kinds.map((kind) => Room.getLocalDevices(kind, false).catch(() => [])));
        emit("onDevices", lists.flat().map((d) => ({ kind: d.kind, device_id: d.deviceId, label: d.label || d.kind })));
      };
      const attachAudio = (track) => {
        if (track.kind !== Track.Kind.Audio || !audioHost.current) return;
        const element = track.attach();
        element.dataset.lkAudio = "remote";
        audioHost.current.appendChild(element);
      };
      const detach = (track) => track.detach().forEach((element) => element.remove());
      const onDisconnected = (reason) => {
        const name = DisconnectReason[reason] || "UNKNOWN_REASON";
        emit("onConnectionChange", "disconnected", FINAL_REASONS.has(name) ? name : `retry:${name}`);
      };
      const handlers = [
        [RoomEvent.ParticipantConnected, report],
        [RoomEvent.ParticipantDisconnected, report],
        [RoomEvent.TrackSubscribed, (track) => { attachAudio(track); report(); }],
        [RoomEvent.TrackUnsubscribed, (track) => { detach(track); report(); }],
        [RoomEvent.TrackMuted, report],
        [RoomEvent.TrackUnmuted, report],
        [RoomEvent.LocalTrackPublished, report],
        [RoomEvent.LocalTrackUnpublished, report],
        [RoomEvent.ActiveSpeakersChanged, report],
        [RoomEvent.ConnectionQualityChanged, report],
        [RoomEvent.ParticipantNameChanged, report],
        [RoomEvent.MediaDevicesChanged, reportDevices],
        [RoomEvent.Reconnecting, () => emit("onConnectionChange", "reconnecting", "")],
        [RoomEvent.Reconnected, () => { emit("onConnectionChange", "connected", ""); report(); }],
        [RoomEvent.Disconnected, onDisconnected],
      ];
      handlers.forEach(([event, handler]) => room.on(event, handler));
      cleanup = () => {
        handlers.forEach(([event, handler]) => room.off(event, handler));
        room.remoteParticipants.forEach((p) => p.trackPublications.forEach((pub) => pub.track && detach(pub.track)));
        room.disconnect();
      };
      emit("onConnectionChange", "connecting", "");
      room.connect(serverUrl, token)
        .then(() => {
          if (cancelled) return;
          setState({ lk, room });
          emit("onConnectionChange", "connected", "");
          room.startAudio().catch(() => {});
          report();
          reportDevices();
        })
        .catch((error) => {
          if (!cancelled) emit("onConnectionChange", "disconnected", `retry:${(error && error.message) || error}`);
        });
    });
    return () => {
      cancelled = true;
      setState({ lk: null, room: null });
      cleanup();
    };
  }, [serverUrl, token]);

  const { room } = state;

  // Microphone: on unless muted or deafened. A failure leaves the call listen-only.
  useEffect(() => {
    if (!room) return;
    const wanted = Boolean(micEnabled) && !deafened;
    const options = audioInputId ? { deviceId: audioInputId } : undefined;
    room.localParticipant.setMicrophoneEnabled(wanted, options)
      .catch((error) => emit("onMediaError", "microphone", mediaErrorMessage("Microphone", error)))
      .finally(() => emit("onParticipants", describeParticipants(state.lk, room)));
  }, [room, micEnabled, deafened]);

  useEffect(() => {
    if (!room) return;
    const options = videoInputId ? { deviceId: videoInputId } : undefined;
    room.localParticipant.setCameraEnabled(Boolean(camEnabled), options)
      .catch((error) => emit("onMediaError", "camera", mediaErrorMessage("Camera", error)))
      .finally(() => emit("onParticipants", describeParticipants(state.lk, room)));
  }, [room, camEnabled]);

  // Device changes apply live, without rejoining.
  useEffect(() => {
    if (room && audioInputId) room.switchActiveDevice("audioinput", audioInputId).catch(() => {});
  }, [room, audioInputId]);
  useEffect(() => {
    if (room && videoInputId) room.switchActiveDevice("videoinput", videoInputId).catch(() => {});
  }, [room, videoInputId]);
  useEffect(() => {
    if (room && audioOutputId) room.switchActiveDevice("audiooutput", audioOutputId).catch(() => {});
  }, [room, audioOutputId]);

  // Deafen: stop hearing everyone.
  useEffect(() => {
    if (!audioHost.current) return;
    audioHost.current.querySelectorAll("audio").forEach((element) => { element.muted = Boolean(deafened); });
  }, [room, deafened]);

  return (
    <RoomContext.Provider value={state}>
      <div ref={audioHost} hidden data-muted={deafened ? "true" : "false"} />
      {children}
    </RoomContext.Provider>
  );
}

// A participant's camera, attached to a <video> that Python placed in a tile.
export function ParticipantVideo({ identity, ...rest }) {
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
  const track = participant && lk
    ? participant.getTrackPublication(lk.Track.Source.Camera)?.videoTrack : undefined;
  const showing = Boolean(track && !track.isMuted);

  useEffect(() => {
    if (!showing || !video.current) return undefined;
    const element = video.current;
    track.attach(element);
    return () => { track.detach(element); };
  }, [track, showing]);

  return <video ref={video} autoPlay playsInline muted hidden={!showing} {...rest} />;
}
