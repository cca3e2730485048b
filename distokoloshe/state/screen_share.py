"""Screen sharing: what this user shares and how, and which share they are watching.

This module owns the screen-share presets (what the browser captures and sends) and the
codec table; the browser's ScreenShare part gets the numbers as props and reports codes,
which are worded here.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import reflex as rx


@dataclasses.dataclass(frozen=True)
class SharePreset:
    """A capture setting: contentHint "detail" keeps text sharp, "motion" keeps 60 fps smooth."""

    label: str
    width: int
    height: int
    frame_rate: int
    max_bitrate: int
    content_hint: Literal["detail", "motion"]


@dataclasses.dataclass(frozen=True)
class Codec:
    label: str
    mime_type: str


PRESETS = {
    "720p30": SharePreset("720p, 30 fps", 1280, 720, 30, 2_500_000, "detail"),
    "1080p30": SharePreset("1080p, 30 fps", 1920, 1080, 30, 4_000_000, "detail"),
    "1080p60": SharePreset("1080p, 60 fps", 1920, 1080, 60, 6_000_000, "motion"),
    # the display's own size and refresh rate, as far as the browser allows
    "native": SharePreset("Native resolution and refresh rate", 3840, 2160, 60, 10_000_000,
                          "motion"),
}
DEFAULT_PRESET = "1080p30"
CODECS = {"av1": Codec("AV1", "video/AV1"), "vp9": Codec("VP9", "video/VP9"),
          "vp8": Codec("VP8", "video/VP8"), "h264": Codec("H.264", "video/H264")}
CODEC_MIME_TYPES = {value: codec.mime_type for value, codec in CODECS.items()}
CodecName = Literal["av1", "vp9", "vp8", "h264"]

# The ScreenShare part's result codes, worded; a code not here shows no note (the user
# cancelled the browser's picker: not_allowed; the call ended: ended).
SHARE_NOTES = {
    "av1_e2ee": "AV1 cannot be end-to-end encrypted by the browser yet, so this share uses "
                "{used}.",
    "not_encodable": "This browser cannot encode {wanted}, so this share uses {used}.",
    "not_found": "Screen sharing failed: {detail}",
    "in_use": "Screen sharing failed: {detail}",
    "failed": "Screen sharing failed: {detail}",
}


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _label(codec: object) -> str:
    found = CODECS.get(codec) if isinstance(codec, str) else None
    return found.label if found is not None else "VP8"


class ScreenShareState(rx.State):
    sharing: bool = False
    preset: str = DEFAULT_PRESET
    codec: str = "vp9"
    share_audio: bool = False
    # why the share uses another codec than the one picked, or why it failed
    share_note: str = ""
    # what this browser can encode, from RTCRtpSender.getCapabilities
    encodable: list[str] = []
    # the share this viewer picked; the viewer shows it while it lasts (see screen_viewer)
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
    def capture(self) -> SharePreset:
        """What the browser captures and sends for the chosen preset."""
        return PRESETS.get(self.preset, PRESETS[DEFAULT_PRESET])

    @rx.var
    def codec_choices(self) -> list[list[str]]:
        """[value, label] for each codec, marking those this browser cannot encode."""
        return [[value, codec.label if value in self.encodable or not self.encodable
                 else f"{codec.label} (not in this browser)"] for value, codec in CODECS.items()]

    @rx.event
    def toggle_sharing(self):
        """Start or stop sharing this user's screen."""
        self.sharing = not self.sharing
        if self.sharing:
            self.share_note = ""

    @rx.event
    def stop_sharing(self):
        """Stop sharing (the user left the call)."""
        self.sharing = False

    @rx.event
    def call_ended(self, final: bool):
        """The call disconnected; a share does not outlive a call that ended for good."""
        if final is True:
            self.sharing = False

    @rx.event
    def choose_preset(self, preset: str):
        """Pick the capture preset by its key in PRESETS."""
        if isinstance(preset, str) and preset in PRESETS:
            self.preset = preset

    @rx.event
    def choose_codec(self, codec: str):
        """Pick the codec by its key in CODECS."""
        if isinstance(codec, str) and codec in CODECS:
            self.codec = codec

    @rx.event
    def set_share_audio(self, on: bool):
        """Whether the screen's audio is shared too."""
        self.share_audio = on is True

    @rx.event
    def share_result(self, sharing: bool, codec: str, code: str, detail: str):
        """The browser's share: the codec used, and a code for why another or why none."""
        self.sharing = sharing is True
        template = SHARE_NOTES.get(code, "") if isinstance(code, str) else ""
        self.share_note = template.format(used=_label(codec), wanted=_label(self.codec),
                                          detail=_text(detail, 200))

    @rx.event
    def set_encodable(self, codecs: list):
        """The codecs this browser can encode."""
        if isinstance(codecs, list):
            self.encodable = [c for c in codecs[:16] if isinstance(c, str) and c in CODECS]

    @rx.event
    def watch(self, identity: str):
        """Pick whose share to watch."""
        if isinstance(identity, str) and len(identity) <= 64:
            self.watching = identity

    @rx.event
    def toggle_fit(self):
        """Letterbox the whole screen, or fill the frame."""
        self.fit = "fill" if self.fit == "fit" else "fit"

    def _command(self, command: str) -> None:
        self.view_command = command
        self.view_command_seq += 1

    @rx.event
    def go_fullscreen(self):
        """Show the watched share fullscreen."""
        self._command("fullscreen")

    @rx.event
    def pop_out(self):
        """Show the watched share picture-in-picture."""
        self._command("pip")

    @rx.event
    def set_audio_volume(self, identity: str, value: float | str):
        """This viewer's volume (0-200%) for a sharer's screen audio."""
        try:
            volume = round(float(value))
        except (TypeError, ValueError, OverflowError):  # not a number, or infinite
            return
        if isinstance(identity, str) and len(identity) <= 64 and 0 <= volume <= 200:
            self.audio_volumes = {**self.audio_volumes, identity: volume}
