"""What a soundboard clip may be: an audio file a browser can decode, of at most 1 MB and
10 seconds, recognised by its content (never its name or the type the browser claims).
No Reflex here."""

from __future__ import annotations

import dataclasses
import io
import math

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

MAX_BYTES = 1_000_000
MAX_SECONDS = 10.0
MAX_TITLE = 40
# what browsers decode, as mutagen recognises it, and the type the player's browser is told
KINDS = {MP3: "audio/mpeg", OggVorbis: "audio/ogg", OggOpus: "audio/ogg", FLAC: "audio/flac",
         WAVE: "audio/wav", MP4: "audio/mp4"}
KNOWN = "MP3, Ogg (Vorbis or Opus), FLAC, WAV or M4A"


class ClipRefused(ValueError):
    """Why an upload is not a clip, in words for the uploader."""


@dataclasses.dataclass(frozen=True)
class ClipKind:
    mime: str
    seconds: float


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def check_clip(data: bytes) -> ClipKind:
    """The clip's type and length, or ClipRefused saying what is wrong with it."""
    if not data:
        raise ClipRefused("That file is empty.")
    if len(data) > MAX_BYTES:
        raise ClipRefused(f"A clip may be at most {_megabytes(MAX_BYTES)}; that file is "
                          f"larger ({_megabytes(len(data))} or more).")
    try:
        audio = mutagen.File(io.BytesIO(data), options=list(KINDS))
    except Exception:  # noqa: BLE001 (a damaged file makes mutagen raise all kinds)
        audio = None
    mime = KINDS.get(type(audio))
    if audio is None or mime is None or audio.info is None:
        raise ClipRefused(f"That is not an audio file the soundboard can play ({KNOWN}).")
    seconds = float(getattr(audio.info, "length", 0) or 0)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ClipRefused("That audio file has no length the soundboard can read.")
    if seconds > MAX_SECONDS:
        raise ClipRefused(f"A clip may be at most {MAX_SECONDS:.0f} seconds; that one is "
                          f"{seconds:.1f} seconds.")
    return ClipKind(mime, round(seconds, 2))


def clean_title(title: object, filename: object) -> str:
    """The clip's title: what the uploader typed, else the file's name without its
    extension, on one line and at most MAX_TITLE characters."""
    for candidate in (title, filename.rsplit(".", 1)[0] if isinstance(filename, str) else ""):
        if isinstance(candidate, str):
            text = " ".join(candidate.split())[:MAX_TITLE].strip()
            if text:
                return text
    return "Clip"
