// The local camera, on while enabled, on the chosen device. Reads its room from LiveKitRoom.
import { useEffect, useRef } from "react";
import { emitter, useRoom } from "./context.js";
import { errorCode, errorDetail } from "./media_errors.js";

export function Camera({ enabled, deviceId, onError }) {
  const { room, report } = useRoom("Camera");
  const events = useRef({});
  events.current = { onError };
  const emit = emitter(events);

  useEffect(() => {
    if (!room) return;
    room.localParticipant.setCameraEnabled(Boolean(enabled), deviceId ? { deviceId } : undefined)
      .catch((error) => emit("onError", errorCode(error), errorDetail(error)))
      .finally(report);
  }, [room, enabled]);

  // Device changes apply live, without rejoining.
  useEffect(() => {
    if (room && deviceId) room.switchActiveDevice("videoinput", deviceId).catch(() => {});
  }, [room, deviceId]);

  return null;
}
