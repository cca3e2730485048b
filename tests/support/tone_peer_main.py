"""A tone-publishing LiveKit participant as its own process (run inside a network namespace):
`python -m tests.support.tone_peer_main URL TOKEN FREQUENCY`. Prints "ready" once
publishing; each line "FREQUENCY" on stdin switches the tone, which tells a listener fresh
audio from buffered or concealed audio. The SDK reconnects by itself after a network loss;
the first join is retried (a few times, bounded) the way a browser retries a join that
stalled, since the test is about coming back after a cut, not about a slow first join.
"""

from __future__ import annotations

import asyncio
import sys
import traceback

from livekit import rtc

from tests.support.peer import TonePeer

JOIN_ATTEMPTS = 3


async def _join(url: str, token: str) -> TonePeer:
    for attempt in range(1, JOIN_ATTEMPTS + 1):
        peer = TonePeer()
        try:
            return await peer.connect(url, token)
        except (TimeoutError, rtc.ConnectError):
            print(f"join attempt {attempt} of {JOIN_ATTEMPTS} failed:", file=sys.stderr)
            traceback.print_exc()
            await peer.close()
    raise SystemExit("could not join")


async def main(url: str, token: str, frequency: float) -> None:
    peer = await _join(url, token)
    await peer.publish_tone(frequency)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        peer.tone_frequency = float(line)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
