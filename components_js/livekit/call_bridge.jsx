// The call bridge: what extensions send into the call and play into it, with no JavaScript
// of their own. Inside LiveKitRoom.
// - Data: each outbox entry {seq, topic, payload} goes to everyone else in the call on its
//   topic ("ext:<extension>:<topic>"), sealed with a key derived from the room's key when
//   the call has one (bridge_crypto.js). What another participant sends on an "ext:" topic
//   is passed on with the identity and name LiveKit attached to the packet. Dropped: packets
//   without a participant (the server's), too large, and in a call with a key, any that
//   the key (or the one before it) does not open.
// - Clips: {seq, extension, url} (a base64 data URL) is decoded and played into a track of
//   its own, "clip:<extension>", published on first use and kept for the rest of the call.
import { useEffect, useRef } from "react";
import { bridgeKey, seal, unseal } from "./bridge_crypto.js";
import { emitter, useRoom } from "./context.js";

const MAX_PAYLOAD = 4096;
const SEALING = 28; // the IV and the GCM tag
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function dataUrlBytes(url) {
  const binary = atob(url.slice(url.indexOf(",") + 1));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

// The extension's clip track: a WebAudio destination whose track is published once.
function clipTrack(lk, room, audio, tracks, extension) {
  let track = tracks.get(extension);
  if (!track) {
    const destination = audio.context.createMediaStreamDestination();
    const published = room.localParticipant.publishTrack(destination.stream.getAudioTracks()[0],
      { name: `clip:${extension}`, source: lk.Track.Source.Unknown });
    published.catch(() => tracks.delete(extension)); // the next clip tries again
    track = { destination, published };
    tracks.set(extension, track);
  }
  return track;
}

async function playClip(lk, room, audio, tracks, { extension, url }) {
  let buffer;
  try {
    buffer = await audio.context.decodeAudioData(dataUrlBytes(url));
  } catch (_error) {
    return "undecodable";
  }
  const track = clipTrack(lk, room, audio, tracks, extension);
  try {
    await track.published;
  } catch (_error) {
    return "not_published";
  }
  const source = audio.context.createBufferSource();
  source.buffer = buffer;
  source.connect(track.destination);
  source.connect(audio.master); // the player hears it too, unless deafened
  source.start();
  return "playing";
}

export function CallBridge({ e2eeKey, outbox, clip, onReceived, onSent, onClip }) {
  const { lk, room, audio } = useRoom("CallBridge");
  const events = useRef({});
  events.current = { onReceived, onSent, onClip };
  const emit = emitter(events);
  const sent = useRef(0);
  const played = useRef(0);
  const tracks = useRef(new Map()); // extension -> { destination, published }
  // [current, previous] keys, so messages sealed just before a key change still open
  const keys = useRef({ passphrase: null, derived: Promise.resolve([]) });
  if (keys.current.passphrase !== (e2eeKey || "")) {
    const before = keys.current.derived;
    keys.current = { passphrase: e2eeKey || "", derived: bridgeKey(e2eeKey).then(
      (key) => before.then((old) => (key ? [key, ...old.slice(0, 1)] : []))) };
  }

  useEffect(() => {
    if (!room) return undefined;
    const onData = async (payload, participant, _kind, topic) => {
      if (!participant || typeof topic !== "string" || !topic.startsWith("ext:")) return;
      if (payload.byteLength > MAX_PAYLOAD + SEALING) return;
      const { identity, name } = participant; // as LiveKit attached them to the packet
      const open = await keys.current.derived;
      const plain = open.length ? await unseal(open, topic, payload) : payload;
      if (!plain || plain.byteLength > MAX_PAYLOAD) return;
      emit("onReceived", topic, identity, name || "", decoder.decode(plain));
    };
    room.on(lk.RoomEvent.DataReceived, onData);
    const published = tracks.current;
    return () => {
      room.off(lk.RoomEvent.DataReceived, onData);
      published.forEach(({ destination, published: publication }) => {
        destination.disconnect();
        publication.then((p) => room.localParticipant.unpublishTrack(p.track)).catch(() => {});
      });
      published.clear();
    };
  }, [room]);

  useEffect(() => {
    if (!room || !Array.isArray(outbox)) return;
    const pending = outbox.filter((message) => message.seq > sent.current);
    if (pending.length === 0) return;
    sent.current = Math.max(...pending.map((message) => message.seq));
    const last = sent.current;
    const send = async ({ topic, payload }) => {
      const [key] = await keys.current.derived;
      const bytes = encoder.encode(payload);
      const data = key ? await seal(key, topic, bytes) : bytes;
      await room.localParticipant.publishData(data, { reliable: true, topic });
    };
    Promise.allSettled(pending.map(send)).then(() => emit("onSent", last));
  }, [room, outbox]);

  useEffect(() => {
    if (!room || !audio || !clip || !clip.seq || clip.seq <= played.current) return;
    played.current = clip.seq;
    const { seq } = clip;
    playClip(lk, room, audio, tracks.current, clip).then((code) => emit("onClip", seq, code));
  }, [room, audio, clip]);

  return null;
}
