// A participant's camera or shared screen, attached to a <video> that Python placed in a
// tile or the screen viewer. Inside LiveKitRoom.
import React, { useEffect, useRef, useState } from "react";
import { useRoom } from "./context.js";

const RERENDER_ON = ["TrackSubscribed", "TrackUnsubscribed", "TrackMuted", "TrackUnmuted",
  "LocalTrackPublished", "LocalTrackUnpublished"];

export function ParticipantVideo({ identity, source, fit, command, commandSeq, ...rest }) {
  const { lk, room } = useRoom("ParticipantVideo");
  const video = useRef(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (!room || !lk) return undefined;
    const rerender = () => setTick((n) => n + 1);
    RERENDER_ON.forEach((name) => room.on(lk.RoomEvent[name], rerender));
    return () => RERENDER_ON.forEach((name) => room.off(lk.RoomEvent[name], rerender));
  }, [room, lk]);

  const participant = room && (room.localParticipant.identity === identity
    ? room.localParticipant : room.remoteParticipants.get(identity));
  const wanted = source === "screen" ? lk?.Track.Source.ScreenShare : lk?.Track.Source.Camera;
  const track = participant && lk ? participant.getTrackPublication(wanted)?.videoTrack : undefined;
  const showing = Boolean(track && !track.isMuted);

  useEffect(() => {
    if (!showing || !video.current) return undefined;
    const element = video.current;
    track.attach(element);
    return () => { track.detach(element); };
  }, [track, showing]);

  // Fullscreen and picture-in-picture, asked for by Python right after the user's click.
  useEffect(() => {
    const element = video.current;
    if (!commandSeq || !element || !showing) return;
    if (command === "fullscreen" && element.requestFullscreen) element.requestFullscreen().catch(() => {});
    if (command === "pip" && document.pictureInPictureEnabled) element.requestPictureInPicture().catch(() => {});
  }, [commandSeq]);

  const style = fit ? { objectFit: fit === "fill" ? "cover" : "contain" } : undefined;
  return <video ref={video} autoPlay playsInline muted hidden={!showing} style={style}
    data-source={source || "camera"} {...rest} />;
}
