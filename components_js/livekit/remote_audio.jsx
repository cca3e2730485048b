// What this listener hears: every remote voice and shared screen's audio through the
// room's WebAudio graph, with this listener's gains, deafen, the chosen output device,
// and the join and leave chimes. Reads its room from LiveKitRoom.
import { useEffect, useRef } from "react";
import { useRoom } from "./context.js";

// "<identity>" for a voice, "<identity>#screen" for a share's audio, "<identity>#clip:<ext>"
// for the clips an extension plays into the call (call_bridge.jsx), else null.
function graphKey(lk, publication, participant) {
  const { source, trackName } = publication;
  if (source === lk.Track.Source.Microphone) return participant.identity;
  if (source === lk.Track.Source.ScreenShareAudio) return `${participant.identity}#screen`;
  if (source === lk.Track.Source.Unknown && /^clip:[a-z][a-z0-9_]{1,31}$/.test(trackName || "")) {
    return `${participant.identity}#${trackName}`;
  }
  return null;
}

export function RemoteAudio({ gains, screenGains, clipGains, deafened, outputDeviceId, chimes }) {
  const { lk, room, audio } = useRoom("RemoteAudio");
  const latest = useRef({});
  latest.current = { gains, screenGains, clipGains, chimes };

  useEffect(() => {
    if (!room || !audio) return undefined;
    const audible = (track, publication, participant) =>
      track.kind === lk.Track.Kind.Audio && graphKey(lk, publication, participant);
    const add = (track, publication, participant) => {
      const key = audible(track, publication, participant);
      if (!key || audio.has(key, track)) return;
      audio.add(key, track);
      const { gains: voices, screenGains: screens, clipGains: clips } = latest.current;
      audio.setGains(voices, screens, clips);
    };
    const remove = (track, publication, participant) => {
      const key = audible(track, publication, participant);
      if (key) audio.remove(key);
    };
    const chime = (rising) => () => { if (latest.current.chimes !== false) audio.chime(rising); };
    // tracks that arrived before this part was listening
    room.remoteParticipants.forEach((participant) => {
      participant.trackPublications.forEach((publication) => {
        if (publication.isSubscribed && publication.track) add(publication.track, publication, participant);
      });
    });
    const handlers = [
      [lk.RoomEvent.TrackSubscribed, add],
      [lk.RoomEvent.TrackUnsubscribed, remove],
      [lk.RoomEvent.ParticipantConnected, chime(true)],
      [lk.RoomEvent.ParticipantDisconnected, chime(false)],
    ];
    handlers.forEach(([event, handler]) => room.on(event, handler));
    return () => handlers.forEach(([event, handler]) => room.off(event, handler));
  }, [lk, room, audio]);

  // Per-speaker volumes and "mute for me", each screen share's and each player's clips' own.
  useEffect(() => {
    if (audio) audio.setGains(gains, screenGains, clipGains);
  }, [audio, gains, screenGains, clipGains]);

  // Remote audio plays through the AudioContext, so that is where the speaker is chosen.
  useEffect(() => {
    if (audio && outputDeviceId && audio.context.setSinkId) audio.context.setSinkId(outputDeviceId).catch(() => {});
  }, [audio, outputDeviceId]);

  useEffect(() => { if (audio) audio.setDeafened(Boolean(deafened)); }, [audio, deafened]);

  return null;
}
