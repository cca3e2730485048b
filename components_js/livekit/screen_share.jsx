// Sharing this user's screen with the capture settings Python passes in (one preset from
// its table) and the chosen codec; a change while sharing restarts the share. Reports the
// result as codes: why another codec is used, or why the share failed or ended.
import { useEffect, useRef } from "react";
import { chooseShareCodec, encodableCodecs } from "./codecs.js";
import { emitter, useRoom } from "./context.js";
import { errorCode, errorDetail } from "./media_errors.js";

export function ScreenShare({ enabled, capture, codec, audio, codecMimeTypes, onResult, onCodecs }) {
  const { room, keyProvider } = useRoom("ScreenShare");
  const events = useRef({});
  events.current = { onResult, onCodecs };
  const emit = emitter(events);
  const latest = useRef({});
  latest.current = { enabled: Boolean(enabled), capture, codecMimeTypes };

  // What this browser can encode, once per call; and a share ends with its room, so
  // switching rooms or leaving by any path stops it.
  useEffect(() => {
    if (!room) return undefined;
    emit("onCodecs", encodableCodecs(latest.current.codecMimeTypes));
    return () => { if (latest.current.enabled) emit("onResult", false, "", "ended", ""); };
  }, [room]);

  const captureKey = JSON.stringify(capture || {});
  useEffect(() => {
    if (!room) return undefined;
    const local = room.localParticipant;
    if (!enabled) {
      if (local.isScreenShareEnabled) local.setScreenShareEnabled(false).catch(() => {});
      return undefined;
    }
    let stale = false;
    const chosen = chooseShareCodec(codec, Boolean(keyProvider), latest.current.codecMimeTypes);
    const preset = latest.current.capture || {};
    const resolution = { width: preset.width, height: preset.height, frameRate: preset.frame_rate };
    const options = {
      // What a share plays (music, a video) is not a voice: the browser's voice processing
      // would fade a steady sound out within seconds, and mix it down to mono.
      audio: audio
        ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false }
        : false,
      systemAudio: audio ? "include" : "exclude",
      contentHint: preset.content_hint,
      resolution,
    };
    const publish = {
      videoCodec: chosen.codec,
      backupCodec: false,
      screenShareEncoding: { maxBitrate: preset.max_bitrate, maxFramerate: preset.frame_rate },
      // one full-quality layer: viewers of a shared screen want detail, not a thumbnail
      screenShareSimulcastLayers: [],
      // The share's audio: livekit-client's musicHighQualityStereo (written out, as the
      // library loads lazily). DTX and RED off, as the library does for stereo unless the
      // room's defaults (on, for voices) say otherwise; DTX cuts quiet music to noise.
      audioPreset: { maxBitrate: 128_000 },
      dtx: false,
      red: false,
    };
    (async () => {
      if (local.isScreenShareEnabled) await local.setScreenShareEnabled(false);
      await local.setScreenShareEnabled(true, options, publish);
      if (!stale) emit("onResult", true, chosen.codec, chosen.code, "");
    })().catch((error) => {
      if (!stale) emit("onResult", false, "", errorCode(error), errorDetail(error));
    });
    return () => { stale = true; };
  }, [room, enabled, captureKey, codec, audio]);

  return null;
}
