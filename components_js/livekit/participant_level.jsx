// A live meter of how loud a remote participant ("<identity>", or "<identity>#screen" for
// their share's audio) is for this listener, after their gain. Inside LiveKitRoom.
import React, { useEffect, useState } from "react";
import { useRoom } from "./context.js";

export function ParticipantLevel({ identity, ...rest }) {
  const { audio } = useRoom("ParticipantLevel");
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!audio) return undefined;
    const timer = window.setInterval(() => setLevel(audio.level(identity)), 100);
    return () => window.clearInterval(timer);
  }, [audio, identity]);
  return <meter min={0} max={1} value={Math.min(1, level)} data-rms={level.toFixed(4)} {...rest} />;
}
