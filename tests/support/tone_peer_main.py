"""A tone-publishing LiveKit participant as its own process (run inside a network namespace):
`python -m tests.support.tone_peer_main URL TOKEN FREQUENCY`. Prints "ready" once
publishing; each line "FREQUENCY" on stdin switches the tone, which tells a listener fresh
audio from buffered or concealed audio. The SDK reconnects by itself after a network loss.
"""

from __future__ import annotations

import asyncio
import sys

from tests.support.peer import TonePeer


async def main(url: str, token: str, frequency: float) -> None:
    peer = await TonePeer().connect(url, token)
    await peer.publish_tone(frequency)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        peer.tone_frequency = float(line)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
