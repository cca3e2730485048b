// What the server announces in the call on the "moderation" data topic (someone was
// muted for everyone), passed on as the object it sent. Inside LiveKitRoom.
import { useEffect, useRef } from "react";
import { emitter, useRoom } from "./context.js";

export function ServerNotices({ onNotice }) {
  const { lk, room } = useRoom("ServerNotices");
  const events = useRef({});
  events.current = { onNotice };
  const emit = emitter(events);
  useEffect(() => {
    if (!room) return undefined;
    // Only the server speaks here: data a participant sends carries its sender.
    const onData = (payload, participant, _kind, topic) => {
      if (participant || topic !== "moderation") return;
      try {
        emit("onNotice", JSON.parse(new TextDecoder().decode(payload)));
      } catch (_error) { /* not a notice of ours */ }
    };
    room.on(lk.RoomEvent.DataReceived, onData);
    return () => { room.off(lk.RoomEvent.DataReceived, onData); };
  }, [room]);
  return null;
}
