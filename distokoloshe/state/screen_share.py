"""Screen sharing: what this user shares and how, and which share they are watching."""

from __future__ import annotations

import reflex as rx

PRESETS = {"720p30": "720p, 30 fps", "1080p30": "1080p, 30 fps", "1080p60": "1080p, 60 fps",
           "native": "Native resolution and refresh rate"}
CODECS = {"av1": "AV1", "vp9": "VP9", "vp8": "VP8", "h264": "H.264"}


class ScreenShareState(rx.State):
    sharing: bool = False
    preset: str = "1080p30"
    codec: str = "vp9"
    share_audio: bool = False
    # why the share uses another codec than the one picked, or why it failed
    share_note: str = ""
    # what this browser can encode, from RTCRtpSender.getCapabilities
    encodable: list[str] = []
    watching: str = ""
    fit: str = "fit"
    view_command: str = ""
    view_command_seq: int = 0
    # this viewer's volume for each sharer's screen audio, in percent
    audio_volumes: dict[str, int] = {}

    @rx.var
    def screen_gains(self) -> dict[str, float]:
        return {identity: volume / 100 for identity, volume in self.audio_volumes.items()}

    @rx.var
    def codec_choices(self) -> list[list[str]]:
        """[value, label] for each codec, marking those this browser cannot encode."""
        return [[value, label if value in self.encodable or not self.encodable
                 else f"{label} (not in this browser)"] for value, label in CODECS.items()]

    def toggle_sharing(self):
        self.sharing = not self.sharing
        if self.sharing:
            self.share_note = ""

    def stop_sharing(self):
        self.sharing = False

    def choose_preset(self, preset: str):
        if isinstance(preset, str) and preset in PRESETS:
            self.preset = preset

    def choose_codec(self, codec: str):
        if isinstance(codec, str) and codec in CODECS:
            self.codec = codec

    def set_share_audio(self, on: bool):
        self.share_audio = on is True

    def share_result(self, sharing: bool, codec: str, note: str):
        self.sharing = sharing is True
        self.share_note = note[:300] if isinstance(note, str) else ""

    def set_encodable(self, codecs: list):
        if isinstance(codecs, list):
            self.encodable = [c for c in codecs if isinstance(c, str) and c in CODECS]

    def watch(self, identity: str):
        if isinstance(identity, str) and len(identity) <= 64:
            self.watching = identity

    def toggle_fit(self):
        self.fit = "fill" if self.fit == "fit" else "fit"

    def _command(self, command: str) -> None:
        self.view_command = command
        self.view_command_seq += 1

    def go_fullscreen(self):
        self._command("fullscreen")

    def pop_out(self):
        self._command("pip")

    def set_audio_volume(self, identity: str, value: float | str):
        try:
            volume = round(float(value))
        except (TypeError, ValueError, OverflowError):  # not a number, or infinite
            return
        if isinstance(identity, str) and len(identity) <= 64 and 0 <= volume <= 200:
            self.audio_volumes = {**self.audio_volumes, identity: volume}
