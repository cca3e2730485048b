// The room a LiveKitRoom provides to its parts: { lk, room, audio, keyProvider, ownLevel,
// report }; ownLevel is this user's microphone as the voice gate measures it ({ levelDb,
// thresholdDb }, null while nothing measures), written by Microphone, read by OwnLevel.
// Before the call connects (and after it ends) room is null and the parts do nothing.
import { createContext, useContext } from "react";

export const RoomContext = createContext(null);

export const NO_ROOM = Object.freeze({
  lk: null, room: null, audio: null, keyProvider: null, ownLevel: null, report: () => {},
});

export function useRoom(part) {
  const value = useContext(RoomContext);
  if (value === null) throw new Error(`${part} must be placed inside LiveKitRoom, which provides its room.`);
  return value;
}

// Latest event callbacks, so effects need not re-run when Python re-renders.
export function emitter(ref) {
  return (name, ...args) => ref.current[name] && ref.current[name](...args);
}
