"""Many Python peers publishing a cheap tone, spread over a few processes.

One process cannot carry two dozen peers on a 2-core machine: the SDK's FFI waits for the
Python side after each connect, and a loop busy feeding 23 audio sources misses that wait,
which the SDK answers by terminating the whole process. So the peers live in groups of
GROUP_SIZE, one process each, driven over a pipe; a group that dies takes only its own
peers with it, and they are counted as dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import time

import numpy as np

from tests.support.peer import SAMPLE_RATE, TonePeer

GROUP_SIZE = 6
JOIN_TIMEOUT_S = 20
TONE_BITRATE = 20_000
# 200 ms per capture_frame: the SDK paces it out in real time and encodes 20 ms Opus frames
# all the same, and each call is a round trip through its FFI. Measured here, 12 peers on one
# LiveKit took 0.82 cores at 20 ms frames and 0.44 at 200 ms.
FRAME = SAMPLE_RATE // 5
REPLY_TIMEOUT_S = 30


class Publisher(TonePeer):
    """A peer that publishes a tone at 20 kbit/s from a precomputed second of samples."""

    async def publish_cheap_tone(self, frequency: float) -> None:
        from livekit import rtc
        from livekit.rtc._proto.room_pb2 import AudioEncoding  # not re-exported by rtc

        source = rtc.AudioSource(SAMPLE_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("tone", source)
        options = rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_MICROPHONE,
            audio_encoding=AudioEncoding(max_bitrate=TONE_BITRATE))
        await self.room.local_participant.publish_track(track, options)
        t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
        second = (0.25 * 32767 * np.sin(2 * math.pi * frequency * t)).astype(np.int16)
        self._spawn(self._loop_second(source, second))

    async def _loop_second(self, source, second: np.ndarray) -> None:
        from livekit import rtc

        position = 0
        while True:
            frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, FRAME)
            np.copyto(np.frombuffer(frame.data, dtype=np.int16),
                      second[position:position + FRAME])
            await source.capture_frame(frame)
            position = (position + FRAME) % SAMPLE_RATE

    async def _listen(self, track, identity: str) -> None:
        from livekit import rtc

        # Only the measuring peer subscribes; it decodes every stream and counts the frames.
        async for _event in rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1):
            self.levels.append((time.monotonic(), identity, 0.0, 0.0))
            del self.levels[:-20000]


async def _receive_stats(peer: TonePeer) -> dict:
    stats = await peer.room.get_rtc_stats()
    lost = received = 0
    jitters = []
    for item in stats.subscriber_stats:
        if item.HasField("inbound_rtp") and item.inbound_rtp.stream.kind == "audio":
            received += item.inbound_rtp.received.packets_received
            lost += max(0, item.inbound_rtp.received.packets_lost)
            jitters.append(item.inbound_rtp.received.jitter)
    return {"lost": lost, "received": received, "streams": len(jitters),
            "jitter_ms": 1000 * sum(jitters) / len(jitters) if jitters else 0.0}


async def _group(conn, url: str, key: str, tokens: list[str], first_index: int) -> None:
    from livekit import rtc

    peers: list[Publisher] = []
    failed = 0
    for offset, token in enumerate(tokens):  # one at a time, as people arrive
        index = first_index + offset
        peer = Publisher()
        options = rtc.RoomOptions(auto_subscribe=index == 0, encryption=rtc.E2EEOptions(
            key_provider_options=rtc.KeyProviderOptions(shared_key=key.encode())))
        try:
            await asyncio.wait_for(peer.room.connect(url, token, options), JOIN_TIMEOUT_S)
            await peer.publish_cheap_tone(300 + 37 * index)
            peers.append(peer)
        except (TimeoutError, rtc.ConnectError):
            failed += 1
            await peer.close()
    conn.send({"joined": len(peers), "failed": failed})
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command == "stats":
            measuring = peers[0] if peers and first_index == 0 else None
            conn.send(await _receive_stats(measuring) if measuring else None)
        elif command == "leave":
            for peer in peers:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(peer.close(), 10)
            conn.send("left")
            return


def _group_main(conn, url: str, key: str, tokens: list[str], first_index: int) -> None:
    asyncio.run(_group(conn, url, key, tokens, first_index))


class _Group:
    def __init__(self, context, url: str, key: str, tokens: list[str], first_index: int):
        self.joined = 0
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_group_main, daemon=True,
                                       args=(child, url, key, tokens, first_index))
        self.process.start()
        child.close()

    def ask(self, command: str | None, timeout: float):
        """Send `command` (None: only listen) and return the reply; None when the group
        died or did not answer in time."""
        try:
            if command is not None:
                self.conn.send(command)
            return self.conn.recv() if self.conn.poll(timeout) else None
        except (EOFError, OSError, BrokenPipeError):
            return None

    def stop(self) -> None:
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=10)
        self.conn.close()


class PeerGroups:
    """The peers of one call size: joined group after group, measured by peer 0 (which
    sits alone in the first group, so its decoding never delays a publisher)."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.groups: list[_Group] = []
        self.joined = 0
        self.failed = 0

    def join(self, url: str, key: str, tokens: list[str]) -> None:
        chunks = [tokens[:1]] + [tokens[i:i + GROUP_SIZE]
                                 for i in range(1, len(tokens), GROUP_SIZE)]
        first = 0
        for chunk in (c for c in chunks if c):
            group = _Group(self.context, url, key, chunk, first)
            self.groups.append(group)
            reply = group.ask(None, timeout=JOIN_TIMEOUT_S * len(chunk) + REPLY_TIMEOUT_S)
            group.joined = reply["joined"] if reply else 0
            joined = group.joined
            self.joined += joined
            self.failed += len(chunk) - joined
            first += len(chunk)

    def dropped(self) -> int:
        """Joined peers whose group's process has died since."""
        return sum(g.joined for g in self.groups if not g.process.is_alive())

    def stats(self) -> dict | None:
        """The measuring peer's receive stats, or None when it cannot say in time."""
        return self.groups[0].ask("stats", REPLY_TIMEOUT_S) if self.groups else None

    def leave(self) -> None:
        for group in self.groups:
            if group.process.is_alive():
                group.ask("leave", REPLY_TIMEOUT_S)
            group.stop()
        self.groups, self.joined, self.failed = [], 0, 0
