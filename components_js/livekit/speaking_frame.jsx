// A participant's tile, marked while LiveKit's active-speaker detection hears them. Who is
// speaking changes many times a second in a busy call; it stays here, in each tile, so a
// change re-renders one frame and never reaches Python or the grid. Inside LiveKitRoom.
import React, { useEffect, useState } from "react";
import { useRoom } from "./context.js";

export function SpeakingFrame({ identity, label, speakingLabel, children, ...rest }) {
  const { lk, room } = useRoom("SpeakingFrame");
  const [speaking, setSpeaking] = useState(false);
  useEffect(() => {
    if (!room) {
      setSpeaking(false);
      return undefined;
    }
    const update = (speakers) => setSpeaking(speakers.some((p) => p.identity === identity));
    update(room.activeSpeakers || []);
    room.on(lk.RoomEvent.ActiveSpeakersChanged, update);
    return () => { room.off(lk.RoomEvent.ActiveSpeakersChanged, update); };
  }, [lk, room, identity]);
  return (
    <div role="listitem" {...rest} className="dtk-tile" data-speaking={speaking ? "true" : "false"}
      aria-label={speaking ? speakingLabel : label}>
      {children}
    </div>
  );
}
