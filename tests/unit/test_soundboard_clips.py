"""The soundboard's clip check: an audio file by its content, at most 1 MB and 10 s."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest

from distokoloshe.extensions.soundboard.clips import (
    MAX_BYTES,
    ClipRefused,
    check_clip,
    clean_title,
)


def wav(seconds: float, *, rate: int = 8000) -> bytes:
    samples = [int(8000 * math.sin(2 * math.pi * 440 * n / rate))
               for n in range(int(rate * seconds))]
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def test_a_short_wav_is_a_clip_of_its_length():
    kind = check_clip(wav(2.5))
    assert kind.mime == "audio/wav"
    assert kind.seconds == pytest.approx(2.5, abs=0.01)


@pytest.mark.parametrize("data", [
    b"hello, this is text and no audio at all " * 20,
    b"\x89PNG\r\n\x1a\n" + b"\0" * 512,
    b"RIFF\x10\0\0\0WAVEfmt ",             # a WAV header cut short
    bytes(range(256)) * 8,
    b"OggS" + b"\0" * 200,                # a damaged Ogg page
])
def test_what_is_not_audio_is_refused(data):
    with pytest.raises(ClipRefused, match="not an audio file the soundboard can play"):
        check_clip(data)


def test_an_empty_file_is_refused():
    with pytest.raises(ClipRefused, match="empty"):
        check_clip(b"")


def test_more_than_ten_seconds_is_refused_with_its_length():
    with pytest.raises(ClipRefused, match=r"at most 10 seconds; that one is 10\.5 seconds"):
        check_clip(wav(10.5))


def test_ten_seconds_exactly_is_allowed():
    assert check_clip(wav(10.0)).seconds == pytest.approx(10.0)


def test_more_than_one_megabyte_is_refused_before_it_is_parsed():
    big = wav(9.0, rate=48000)  # 864 KB of audio
    assert len(big) < MAX_BYTES
    check_clip(big)
    with pytest.raises(ClipRefused, match=r"at most 1\.0 MB"):
        check_clip(big + b"\0" * (MAX_BYTES - len(big) + 1))


def test_titles_come_from_the_form_or_the_file_name():
    assert clean_title("  Air   horn\n", "x.wav") == "Air horn"
    assert clean_title("", "big_laugh.mp3") == "big_laugh"
    assert clean_title(None, None) == "Clip"
    assert len(clean_title("x" * 100, "")) == 40
