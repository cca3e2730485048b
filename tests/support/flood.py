"""A flooding client in its own process: one websocket, one event sent as fast as it goes.

    python -m tests.support.flood --port P --origin O --token T --address A \\
        --event NAME --payload JSON --seconds S

Prints "ready" once the namespace is connected (and, with --ignore-close, "thrown out" when
the server first throws it out), then, after S seconds (or on SIGTERM), one
JSON line: {"sent": events sent, "seconds": how long, "received": frames received,
"connections": how many times it connected}. When the server hangs up, it connects again
and carries on, as a determined attacker would. It reads and discards what the server
sends, so the server's writes to it never back up; only the flood itself is hostile.

With --ignore-close it does not go along with being thrown out: it keeps sending on the
same websocket after the server's disconnect packets, and reports when they came
("thrown_out_at") and when the connection really ended ("closed_at"), in seconds from its
start, and how many events it sent in between ("sent_after_thrown_out").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from tests.support.reflex_client import NAMESPACE, boot_event, event_frame


async def flood_once(args, stats: dict, stop: asyncio.Event, deadline: float) -> None:
    """One connection: connect, sign in, send until the server hangs up or time is up."""
    url = (f"ws://127.0.0.1:{args.port}{NAMESPACE}/?EIO=4&transport=websocket"
           f"&token=flood-{time.monotonic_ns()}")
    async with connect(url, origin=args.origin, max_size=None, compression=None,
                       ping_interval=None, open_timeout=15, close_timeout=0.2,
                       additional_headers={"X-Forwarded-For": args.address}) as ws:
        connected = asyncio.get_running_loop().create_future()
        closed = asyncio.Event()

        async def read() -> None:
            try:
                async for message in ws:
                    stats["received"] += 1
                    if message == "2":
                        await ws.send("3")
                    elif isinstance(message, str) and message.startswith("0"):
                        await ws.send(f"40{NAMESPACE}," + json.dumps(
                            {"event": boot_event(args.token)}))
                    elif isinstance(message, str) and message.startswith(f"40{NAMESPACE}"):
                        connected.set_result(True)
                    elif isinstance(message, str) and message.startswith(f"41{NAMESPACE}"):
                        if "thrown_out_at" not in stats:
                            stats["thrown_out_at"] = time.monotonic() - stats["start"]
                            if args.ignore_close:
                                print("thrown out", flush=True)
                        if not args.ignore_close:
                            break  # thrown out of the namespace: start over
            except ConnectionClosed:
                pass
            stats.setdefault("closed_at", time.monotonic() - stats["start"])
            closed.set()

        reader = asyncio.create_task(read())
        try:
            await asyncio.wait_for(connected, 15)
            stats["connections"] += 1
            if stats["connections"] == 1:
                await asyncio.sleep(args.settle)
                print("ready", flush=True)
            frame = event_frame(args.event, json.loads(args.payload))
            try:
                while not (stop.is_set() or closed.is_set()) and time.monotonic() < deadline:
                    for _ in range(50):
                        await ws.send(frame)
                    stats["sent"] += 50
                    if "thrown_out_at" in stats:
                        stats["sent_after_thrown_out"] = stats.get("sent_after_thrown_out", 0) + 50
                    await asyncio.sleep(0)
            except ConnectionClosed:
                # The writer can see the close before the reader does (which is then
                # cancelled below): either way, this is when the connection ended.
                stats.setdefault("closed_at", time.monotonic() - stats["start"])
        finally:
            reader.cancel()


async def flood(args) -> dict:
    """Flood for `args.seconds`; when the server hangs up, connect again and carry on."""
    stats = {"sent": 0, "seconds": 0.0, "received": 0, "connections": 0,
             "start": time.monotonic()}
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    started = time.monotonic()
    deadline = started + args.seconds
    while not stop.is_set() and time.monotonic() < deadline:
        # A refused handshake (a cap, a rate limit) is an answer too: try again until the end.
        with contextlib.suppress(WebSocketException, OSError):
            await flood_once(args, stats, stop, deadline)
        if args.ignore_close and "closed_at" in stats:
            break  # one connection is the whole experiment
    stats["seconds"] = time.monotonic() - started
    del stats["start"]
    return stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--token", default="")
    parser.add_argument("--address", default="100.127.0.1")
    parser.add_argument("--event", required=True)
    parser.add_argument("--payload", default="{}")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--ignore-close", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(flood(args))), flush=True)


if __name__ == "__main__":
    main()
