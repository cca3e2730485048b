// Reports this browser's microphones, speakers and cameras during a call, and again
// whenever they change. Reads its room from LiveKitRoom.
import { useEffect, useRef } from "react";
import { emitter, useRoom } from "./context.js";

const KINDS = ["audioinput", "audiooutput", "videoinput"];

export function DeviceList({ onDevices }) {
  const { lk, room } = useRoom("DeviceList");
  const events = useRef({});
  events.current = { onDevices };
  const emit = emitter(events);

  useEffect(() => {
    if (!room) return undefined;
    const report = async () => {
      const lists = await Promise.all(KINDS.map((kind) => lk.Room.getLocalDevices(kind, false).catch(() => [])));
      emit("onDevices", lists.flat().map((d) => ({ kind: d.kind, device_id: d.deviceId, label: d.label || d.kind })));
    };
    report();
    room.on(lk.RoomEvent.MediaDevicesChanged, report);
    return () => room.off(lk.RoomEvent.MediaDevicesChanged, report);
  }, [lk, room]);

  return null;
}
