"""A real LiveKit participant in Python: publishes a tone and measures what it hears."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import wave

import numpy as np
from livekit import rtc

SAMPLE_RATE = 48_000
FRAME_SAMPLES = SAMPLE_RATE // 100  # 10 ms


def write_wav(path, samples: np.ndarray):
    """`samples` (-1..1, at SAMPLE_RATE) as a mono 16-bit WAV, for Chromium's fake
    microphone (`--use-file-for-fake-audio-capture`, which loops it)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def tone_wav(path, *, seconds: float = 10.0, frequency: float = 440.0, amplitude: float = 0.3):
    """A steady tone for Chromium's fake microphone."""
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    return write_wav(path, amplitude * np.sin(2 * math.pi * frequency * t))


class TonePeer:
    def __init__(self) -> None:
        # (time, identity, rms 0..1, dominant frequency in Hz) per received 10 ms frame
        self.levels: list[tuple[float, str, float, float]] = []
        self.e2ee_states: list[tuple[str, int]] = []  # (identity, rtc.EncryptionState)
        self.video_frames: list[tuple[str, int, int]] = []  # (identity, width, height)
        self.disconnect_reasons: list[int] = []  # rtc.DisconnectReason, one per drop
        self.tone_frequency: float | None = None  # set while publishing a tone
        self._tasks: set[asyncio.Task] = set()
        self.room = self._new_room()

    def _new_room(self) -> rtc.Room:
        room = rtc.Room()
        room.on("track_subscribed", self._on_track)
        room.on("e2ee_state_changed", lambda participant, state:
                self.e2ee_states.append((participant.identity, state)))
        room.on("disconnected", self.disconnect_reasons.append)
        return room

    async def rejoin(self, url: str, token: str) -> TonePeer:
        """Join again on a new connection, as the app's call does after a drop that was not
        final (state/call.py): what was heard is kept, and a tone is published again."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.room.disconnect()
        self.room = self._new_room()
        await self.connect(url, token)
        if self.tone_frequency is not None:
            await self.publish_tone(self.tone_frequency)
        return self

    async def connect(self, url: str, token: str, *, e2ee_key: str | None = None) -> TonePeer:
        """Join; with `e2ee_key`, encrypt and decrypt media with that room passphrase."""
        options = rtc.RoomOptions()
        if e2ee_key is not None:
            # failure_tolerance >= 0 makes decryption failures reported, not silently retried
            options = rtc.RoomOptions(encryption=rtc.E2EEOptions(
                key_provider_options=rtc.KeyProviderOptions(shared_key=e2ee_key.encode(),
                                                            failure_tolerance=0)))
        await asyncio.wait_for(self.room.connect(url, token, options), timeout=15)
        return self

    def set_room_key(self, key: str, index: int) -> None:
        """Use `key` at slot `index` for decrypting, and encrypt with it from now on."""
        manager = self.room.e2ee_manager
        manager.key_provider.set_shared_key(key.encode(), index)
        for cryptor in manager.frame_cryptors():
            cryptor.set_key_index(index)

    def _on_track(self, track, publication, participant) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            # an extension's clip track (components_js/livekit/call_bridge.jsx) is heard
            # apart from the rest: "<identity>#clip:<extension>"
            name = publication.name or ""
            key = f"{participant.identity}#{name}" if name.startswith("clip:") else None
            self._spawn(self._listen(track, key or participant.identity))
        elif track.kind == rtc.TrackKind.KIND_VIDEO:
            self._spawn(self._watch(track, participant.identity))

    async def _watch(self, track, identity: str) -> None:
        async for event in rtc.VideoStream(track):
            self.video_frames.append((identity, event.frame.width, event.frame.height))
            del self.video_frames[:-2000]

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self, track, identity: str) -> None:
        stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
        async for event in stream:
            samples = np.frombuffer(event.frame.data, dtype=np.int16).astype(np.float32)
            rms = float(np.sqrt(np.mean(samples**2)) / 32768) if samples.size else 0.0
            power = np.abs(np.fft.rfft(samples)) ** 2 if samples.size else np.zeros(1)
            peak = int(np.argmax(power))
            # a tone puts nearly all its power in the bins around its peak; noise does not
            share = float(power[max(peak - 1, 0):peak + 2].sum() / max(power.sum(), 1e-9))
            dominant = peak * SAMPLE_RATE / max(samples.size, 1) if share > 0.6 else 0.0
            self.levels.append((time.monotonic(), identity, rms, dominant))
            del self.levels[:-5000]

    async def publish_tone(self, frequency: float = 660.0, amplitude: float = 0.3) -> None:
        """A steady tone; setting `tone_frequency` later changes it from the next frame."""
        source = rtc.AudioSource(SAMPLE_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("tone", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await self.room.local_participant.publish_track(track, options)
        self.tone_frequency = frequency
        self._spawn(self._play(source, amplitude))

    async def _play(self, source: rtc.AudioSource, amplitude: float) -> None:
        n = 0
        while True:
            t = (np.arange(FRAME_SAMPLES) + n) / SAMPLE_RATE
            samples = (amplitude * 32767 * np.sin(2 * math.pi * self.tone_frequency * t)
                       ).astype(np.int16)
            frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, FRAME_SAMPLES)
            np.copyto(np.frombuffer(frame.data, dtype=np.int16), samples)
            await source.capture_frame(frame)  # paces itself at real time
            n += FRAME_SAMPLES

    def loudest(self, identity: str, since: float) -> float:
        return max((rms for at, who, rms, _ in self.levels if who == identity and at >= since),
                   default=0.0)

    def frames(self, identity: str, since: float) -> int:
        return sum(1 for at, who, *_ in self.levels if who == identity and at >= since)

    def tone_frames(self, identity: str, since: float, frequency: float) -> int:
        """How many audible frames since `since` are a clean tone at `frequency` (±100 Hz)."""
        return sum(1 for at, who, rms, dominant in self.levels
                   if who == identity and at >= since and rms > 0.01
                   and abs(dominant - frequency) <= 100)

    async def wait_for_sound(self, identity: str, *, threshold: float = 0.02,
                             timeout: float = 20.0) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            level = self.loudest(identity, start)
            if level >= threshold:
                return level
            await asyncio.sleep(0.2)
        return self.loudest(identity, start)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.room.disconnect()
