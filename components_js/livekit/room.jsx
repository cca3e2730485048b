// The call's room. While it has a server URL and a token it connects (encrypted with the
// room's key whenever the browser can), reports the connection and everyone in the call,
// and provides the room to its parts: Microphone, Camera, ScreenShare, RemoteAudio,
// DeviceList, ParticipantVideo, ParticipantLevel and OwnLevel. Python composes them and the whole
// visible UI; this file only owns the livekit-client objects and emits codes, never text.
import React, { useEffect, useLayoutEffect, useRef, useState } from "react";
import { AudioGraph } from "./audio_graph.js";
import { NO_ROOM, RoomContext, emitter } from "./context.js";
import { startE2EE } from "./e2ee.js";
import { loadE2EEWorker, loadLiveKit } from "./load.js";
import { errorDetail } from "./media_errors.js";
import { disconnectReason, keyEpoch, participantReporter } from "./participants.js";

// Room events after which the participant list Python shows may have changed. Who is
// speaking is not among them: each tile's SpeakingFrame follows that by itself.
const REPORTED = ["ParticipantConnected", "ParticipantDisconnected", "TrackSubscribed",
  "TrackUnsubscribed", "TrackPublished", "TrackMuted", "TrackUnmuted", "LocalTrackPublished",
  "LocalTrackUnpublished", "ConnectionQualityChanged",
  "ParticipantNameChanged", "ParticipantEncryptionStatusChanged",
  // unsubscribing fires while the publication still exists; this fires once it is gone
  "TrackUnpublished"];

function connect(lk, encryption, { serverUrl, token, emit, cancelled, provide }) {
  const { RoomEvent } = lk;
  const { e2ee } = encryption;
  const undecryptable = new Set();
  const room = new lk.Room({ adaptiveStream: true, dynacast: true, e2ee });
  // Made once connected: an AudioContext takes milliseconds to open, not worth the wait.
  let audio = null;
  const report = participantReporter(room, undecryptable, emit);
  const onEncryptionError = (error, participant) => {
    const identity = (participant && participant.identity) || (error && error.participantIdentity);
    if (identity && !undecryptable.has(identity)) {
      undecryptable.add(identity);
      report();
    }
  };
  const onRoomMetadata = (metadata) => {
    const epoch = keyEpoch(metadata);
    if (epoch !== null) emit("onKeyEpoch", epoch);
  };
  const handlers = [
    ...REPORTED.map((name) => [RoomEvent[name], report]),
    [RoomEvent.EncryptionError, onEncryptionError],
    [RoomEvent.RoomMetadataChanged, onRoomMetadata],
    // The signal connection's loss is the first sign (livekit-client tries a quiet resume
    // before it says Reconnecting, which a dead server makes the user wait ~15 s for).
    [RoomEvent.SignalReconnecting, () => emit("onConnection", "reconnecting")],
    [RoomEvent.Reconnecting, () => emit("onConnection", "reconnecting")],
    [RoomEvent.Reconnected, () => { emit("onConnection", "connected"); report(); }],
    [RoomEvent.Disconnected, (reason) => emit("onDisconnected", ...disconnectReason(lk, reason))],
  ];
  handlers.forEach(([event, handler]) => room.on(event, handler));
  emit("onConnection", "connecting");
  room.connect(serverUrl, token)
    .then(async () => {
      if (cancelled()) return;
      await encryption.keyReady;
      if (cancelled()) return;
      if (e2ee) await room.setE2EEEnabled(true);
      if (cancelled()) return;
      emit("onEncryption", e2ee ? "on" : "off");
      audio = new AudioGraph();
      const ownLevel = { levelDb: null, thresholdDb: null };
      provide({ lk, room, audio, keyProvider: e2ee ? e2ee.keyProvider : null, ownLevel, report });
      emit("onConnection", "connected");
      room.startAudio().catch(() => {});
      audio.context.resume().catch(() => {});
      report();
    })
    .catch(() => {
      if (!cancelled()) emit("onDisconnected", "connect_failed", false);
    });
  // Leaving: silent and deaf to the room at once; what is left (closing its peer
  // connections, ~10 ms of main thread) is returned, for the caller to run when it suits.
  return () => {
    handlers.forEach(([event, handler]) => room.off(event, handler));
    report.cancel();
    if (audio) audio.close(); // first, so nothing chimes or plays while the room disconnects
    return () => {
      room.disconnect();
      encryption.release();
    };
  };
}

// When someone switches rooms, the old room is let go only once the new one has started
// connecting (the next task), so its teardown is not on the path of the join. Without a
// new room to wait for (leaving, an error), it goes at once, or after this at the latest.
const RETIRE_AT_LATEST_MS = 1000;

function useRetiring() {
  const retiring = useRef([]);
  const retireAll = () => {
    const rest = retiring.current;
    retiring.current = [];
    rest.forEach((retire) => retire());
  };
  const retire = (teardown) => {
    retiring.current.push(teardown);
    window.setTimeout(retireAll, RETIRE_AT_LATEST_MS); // in case no room follows
  };
  return { retire, retireAll };
}

export function LiveKitRoom({
  serverUrl, token, e2eeKey, e2eeKeyIndex, e2eeRequired,
  onConnection, onDisconnected, onParticipants, onEncryption, onKeyEpoch, onError, children,
}) {
  const [state, setState] = useState(NO_ROOM);
  const events = useRef({});
  events.current = { onConnection, onDisconnected, onParticipants, onEncryption, onKeyEpoch, onError };
  const emit = emitter(events);
  // The key at connection time; later keys apply through the key provider below.
  const key = useRef({});
  key.current = { e2eeKey, e2eeKeyIndex, e2eeRequired };

  const { retire, retireAll } = useRetiring();
  // A layout effect: the join starts in the commit that brings the token, not after the
  // browser has painted it.
  useLayoutEffect(() => {
    if (!serverUrl || !token) {
      retireAll();
      return undefined;
    }
    let cancelled = false;
    let leave = () => () => {};
    const start = async () => {
      const lk = await loadLiveKit();
      if (cancelled) return;
      const { e2eeKey: passphrase, e2eeKeyIndex: index, e2eeRequired: required } = key.current;
      const encryption = await startE2EE(lk, loadE2EEWorker, passphrase, index);
      if (cancelled) { encryption.release(); return; }
      if (encryption.unsupported && required) { // fail closed
        emit("onError", "e2ee_unsupported", "");
        emit("onDisconnected", "e2ee_unsupported", true);
        return;
      }
      leave = connect(lk, encryption,
        { serverUrl, token, emit, cancelled: () => cancelled, provide: setState });
    };
    start()
      .catch((error) => emit("onError", "failed", errorDetail(error)))
      .finally(() => window.setTimeout(retireAll, 0));
    return () => {
      cancelled = true;
      setState(NO_ROOM);
      retire(leave());
    };
  }, [serverUrl, token]);

  // A new room key (after someone was removed) applies without reconnecting.
  const { keyProvider } = state;
  useEffect(() => {
    if (keyProvider && e2eeKey) keyProvider.setRoomKey(e2eeKey, e2eeKeyIndex || 0);
  }, [keyProvider, e2eeKey, e2eeKeyIndex]);

  return <RoomContext.Provider value={state}>{children}</RoomContext.Provider>;
}
