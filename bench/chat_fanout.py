"""Chat fan-out: how fast a chat message reaches every tab looking at its room, beside
presence's own figure in the same run, with the same tabs.

    .venv/bin/python -m bench.chat_fanout                 # 500 tabs (about 2 minutes)
    .venv/bin/python -m bench.chat_fanout --sizes 10,100

The backend runs the real app on one worker pinned to core 0, the headless tabs
(bench/_reflex_client.py) here on core 1, as in bench/presence_fanout.py. Every account was
last in the one room, so each tab's lobby load opens that room's chat. A change is a chat
message that the first tab sends (ChatState.send, the path Enter takes), twice a second;
its latency runs from just before the send to the message's arrival at each tab, the
author's own included. Presence's change is a signed LiveKit webhook, as in
bench/presence_fanout.py. The chat rate limit is lifted for the run (2 a second for 15 s is
over 30 a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import update

from bench._presence import measure, row, until
from bench._support import ROOT, prepare_environment
from bench.presence_fanout import Deployment, fan_out, open_tabs, pin_here_to_core
from distokoloshe.db import make_engine
from distokoloshe.models import User
from distokoloshe.state.chat import ChatState
from tests.support.reflex_client import event_frame

WATCHING = '"live_room_rx_state_":'


def everyone_in_the_room(deployment: Deployment) -> None:
    """Each account's last room is the bench room, so its lobby opens that room's chat."""
    engine = make_engine(deployment.database_url)
    with engine.begin() as connection:
        connection.execute(update(User.__table__).values(last_room_id=deployment.room_id))
    engine.dispose()


async def chat_fan_out(tabs) -> dict:
    author = tabs[0]
    send = f"{ChatState.get_full_name()}.send"

    async def someone_writes(marker: str) -> None:
        author._send(event_frame(send, {"form_data": {"message": f"bench {marker}"}}))

    # the author's own tab last: the first tab's frames give the frame size, and the author
    # also sees its message in the reply to its own event
    return await measure([*tabs[1:], author], someone_writes)


async def run(sizes: list[int], workdir: Path) -> dict:
    os.environ["CHAT_RATE_LIMITS"] = "100000/10 seconds"
    deployment = Deployment(workdir, users=max(sizes) + 1)
    results = {}
    try:
        deployment.start()
        everyone_in_the_room(deployment)
        tabs = []
        for size in sizes:
            tabs += await open_tabs(deployment.ports, deployment.tokens[len(tabs):size])
            if not await until(lambda tabs=tabs: all(
                    any(WATCHING in text for _, text in tab.frames) for tab in tabs), 60):
                raise RuntimeError("not every tab opened the room's chat")
            await asyncio.sleep(2)
            presence = await fan_out(deployment, tabs)
            print(row(f"presence, {size} tabs", presence), flush=True)
            chat = await chat_fan_out(tabs)
            print(row(f"chat, {size} tabs", chat), flush=True)
            results[size] = (presence, chat)
        for tab in tabs:
            tab.close()
    finally:
        deployment.stop()
    return results


def report(results: dict) -> None:
    print("\n| tabs | presence p50 / p95 / p99 ms | chat p50 / p95 / p99 ms | chat p99 / "
          "presence p99 | chat frame chars |")
    print("| --- | --- | --- | --- | --- |")
    for size, (presence, chat) in results.items():
        print(f"| {size} | {presence['p50']:.1f} / {presence['p95']:.1f} / "
              f"{presence['p99']:.1f} | {chat['p50']:.1f} / {chat['p95']:.1f} / "
              f"{chat['p99']:.1f} | {chat['p99'] / presence['p99']:.2f}x | {chat['chars']} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500")
    args = parser.parse_args()
    prepare_environment()
    pin_here_to_core(1)
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        report(await run([int(s) for s in args.sizes.split(",") if s], Path(tmp)))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(main())
