"""Presence fan-out: how fast a change reaches every connected lobby tab, how fast a storm of
joins settles, and what an idle tab costs the backend.

    .venv/bin/python -m bench.presence_fanout                  # everything (about 5 minutes)
    .venv/bin/python -m bench.presence_fanout --sizes 10,100 --no-scaled --storm 0

The backend runs the real app (`reflex run --env prod --backend-only`) pinned to core 0;
the headless tabs (bench/_reflex_client.py) run here, pinned to core 1. A change is a signed
LiveKit webhook (someone joins a call), posted twice a second, exactly the path a real join
takes; its latency is from just before the POST to the frame's arrival at each tab.
Scaled: two backend processes (one worker each) on Redis and PostgreSQL, on the same core,
with the tabs split between them.

Floor, in the same run and with the same tabs: bench/_floor_broadcaster.py, a bare ASGI app
on the same server stack (gunicorn and the backend's own uvicorn worker), pinned the
same way, that sends one pre-encoded frame of the size our change arrived in to every
socket. Each row prints our p99 over the floor's. The join storm has a floor too.

Many rooms: the largest size again, changes in a call of 5 people, first as the only call on
the server and then among 50 rooms of 5 people each; the second p99 over the first shows
whether a change's cost grows with the rooms and people on the server.

Baseline, in the same run: a bare Reflex app (written to a temporary directory) whose lobby
presence is one `rx.SharedState` every tab links to, changed by the same kind of POST.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from bench._presence import measure, no_collector_pauses, row, rss_kib, until
from bench._support import ROOT, prepare_environment
from distokoloshe.backend_worker import WORKER_CLASS
from tests.support.app import AppProcess

TAB_CONNECT_BATCH = 50
MANY_ROOMS, PEOPLE_PER_ROOM = 50, 5


def pin_here_to_core(core: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {core})


# -- the system under test -------------------------------------------------------------------

class Deployment:
    """The app's backend (one or more processes) with N users and one room."""

    def __init__(self, workdir: Path, *, users: int, processes: int = 1, rooms: int = 1,
                 redis_url: str = "", database_url: str = "") -> None:
        from tests.support.app import BackendProcess
        from tests.support.ports import free_port

        self.api_key, self.api_secret = "APIbench" + secrets.token_hex(3), secrets.token_urlsafe(36)
        self.database_url = database_url or f"sqlite:///{workdir / 'bench.db'}"
        ports = [free_port() for _ in range(processes)]
        shared = {
            "DATABASE_URL": self.database_url, "JWT_SECRET": secrets.token_urlsafe(48),
            "E2EE_SECRET": secrets.token_urlsafe(48), "LIVEKIT_API_KEY": self.api_key,
            "LIVEKIT_API_SECRET": self.api_secret,
            "LIVEKIT_URL": f"ws://127.0.0.1:{free_port()}",   # nothing there: no calls here
            "ALLOWED_ORIGINS": ",".join(f"http://127.0.0.1:{p}" for p in ports),
            "MAX_CONNECTIONS": "5000", "MAX_CONNECTIONS_PER_USER": "5000",
            "TRUSTED_PROXY_HOPS": "0",
        }
        if redis_url:
            shared["REFLEX_REDIS_URL"] = redis_url
        self.processes = [
            BackendProcess(data_dir=workdir, public_port=port, port=port, extra_env=shared,
                           wrapper=["taskset", "-c", "0"])
            for port in ports
        ]
        self.jwt_secret = shared["JWT_SECRET"]
        self.users, self.rooms = users, rooms

    def start(self) -> Deployment:
        self.processes[0].migrate()
        self.tokens, self.room_ids = seed(self.database_url, self.users, self.rooms,
                                          self.processes[0].env)
        self.room_id = self.room_ids[0]
        for process in self.processes:
            process.start()
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    @property
    def ports(self) -> list[int]:
        return [p.port for p in self.processes]

    def rss_kib(self) -> int:
        return sum(rss_kib(p.process.pid) for p in self.processes)

    def webhook(self, identity: str, name: str, room_id: int = 0) -> tuple[bytes, dict]:
        from livekit import api

        body = json.dumps({
            "event": "participant_joined", "id": "EV_" + secrets.token_hex(6),
            "room": {"name": f"room-{room_id or self.room_id}"},
            "participant": {"identity": identity, "name": name,
                            "sid": "PA_" + secrets.token_hex(6)},
        }).encode()
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        token = api.AccessToken(self.api_key, self.api_secret).with_sha256(digest).to_jwt()
        return body, {"Authorization": token, "Content-Type": "application/webhook+json"}


def seed(database_url: str, users: int, rooms: int, env: dict) -> tuple[list[str], list[int]]:
    """`users` accounts (one shared password hash: hashing each would take minutes), their
    session tokens, and `rooms` rooms."""
    from sqlmodel import Session

    from distokoloshe import passwords, sessions
    from distokoloshe.db import make_engine
    from distokoloshe.models import Room, User
    from distokoloshe.settings import Settings

    settings = Settings(_env_file=None, jwt_secret=env["JWT_SECRET"])
    engine = make_engine(database_url)
    shared_hash = passwords.hash_password("bench password 1")
    with Session(engine) as session:
        people = [User(username=f"bench{n}", username_key=f"bench{n}", display_name=f"Bench {n}",
                       password_hash=shared_hash) for n in range(users)]
        session.add_all(people)
        session.flush()
        made = [Room(name=f"Bench room {n}", name_key=f"bench room {n}", owner_id=people[0].id)
                for n in range(rooms)]
        session.add_all(made)
        session.commit()
        tokens = [sessions.issue_session_token(user.id, user.token_version, settings=settings)
                  for user in people]
        room_ids = [room.id for room in made]
    engine.dispose()
    return tokens, room_ids


# -- measurements ----------------------------------------------------------------------------

async def open_tabs(ports: list[int], tokens: list[str]):
    from bench._reflex_client import open_tab

    tabs = []
    for start in range(0, len(tokens), TAB_CONNECT_BATCH):
        batch = tokens[start:start + TAB_CONNECT_BATCH]
        tabs += await asyncio.gather(*(open_tab(ports[(start + i) % len(ports)], token)
                                       for i, token in enumerate(batch)))
    await until(lambda: all(tab.last_value("online") is not None for tab in tabs), 60)
    return tabs


async def fan_out(deployment: Deployment, tabs, room_id: int = 0) -> dict:
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        url = f"http://127.0.0.1:{deployment.ports[0]}/api/livekit/webhook"

        async def someone_joins(marker: str) -> None:
            body, headers = deployment.webhook("bench-peer", marker, room_id)
            (await client.post(url, content=body, headers=headers)).raise_for_status()

        return await measure(tabs, someone_joins)


async def join_storm(ports: list[int], tokens: list[str]) -> float:
    """Seconds from opening `tokens` tabs at once until every one of them shows all of them
    online."""
    from bench._reflex_client import open_tab

    expected = len(tokens)

    def settled_at(tab) -> float | None:
        return next((at for at, count in tab.online_counts if count >= expected), None)

    with no_collector_pauses():
        started = time.perf_counter()
        tabs = await asyncio.gather(*(open_tab(ports[i % len(ports)], token)
                                      for i, token in enumerate(tokens)))
        await until(lambda: all(settled_at(tab) is not None for tab in tabs), 60)
    times = [settled_at(tab) for tab in tabs]
    for tab in tabs:
        tab.close()
    if any(t is None for t in times):
        return float("nan")
    return max(times) - started


async def run_single(args, workdir: Path) -> dict:
    sizes = [int(s) for s in args.sizes.split(",") if s]
    deployment = Deployment(workdir / "single", users=max(*sizes, args.storm) + 1).start()
    results = {}
    try:
        idle = deployment.rss_kib()
        tabs = []
        for size in sizes:
            tabs += await open_tabs(deployment.ports, deployment.tokens[len(tabs):size])
            await asyncio.sleep(2)
            if size == sizes[-1]:
                results["kib_per_tab"] = (deployment.rss_kib() - idle) / size
            results[size] = await fan_out(deployment, tabs)
            print(row(f"one worker, {size} tabs", results[size]), flush=True)
        print(f"backend memory per idle tab: {results['kib_per_tab']:.0f} KiB "
              f"(RSS {idle / 1024:.0f} MiB before any tab)", flush=True)
        for tab in tabs:
            tab.close()
        await asyncio.sleep(3)
        if args.storm:
            results["storm"] = await join_storm(deployment.ports, deployment.tokens[:args.storm])
            print(f"join storm of {args.storm}: settled in {results['storm']:.2f} s", flush=True)
    finally:
        deployment.stop()
    return results


async def run_many_rooms(size: int, workdir: Path) -> tuple[dict, dict]:
    """`size` tabs and changes in a call of PEOPLE_PER_ROOM people: first with that call the
    only one on the server, then with MANY_ROOMS rooms of PEOPLE_PER_ROOM people in their
    calls. The same tabs, the same call, the same frame: only the server around it grows."""
    import httpx

    deployment = Deployment(workdir / "many", users=size + 1, rooms=MANY_ROOMS).start()
    changed = deployment.room_ids[MANY_ROOMS // 2]
    try:
        url = f"http://127.0.0.1:{deployment.ports[0]}/api/livekit/webhook"
        async with httpx.AsyncClient(timeout=10) as client:

            async def seat(room_ids: list[int], people: int) -> None:
                for room_id in room_ids:
                    for n in range(people):
                        body, headers = deployment.webhook(f"seat-{room_id}-{n}", f"Seat {n}",
                                                           room_id)
                        (await client.post(url, content=body, headers=headers)
                         ).raise_for_status()

            await seat([changed], PEOPLE_PER_ROOM - 1)  # the changing peer is the last
            tabs = await open_tabs(deployment.ports, deployment.tokens[:size])
            await asyncio.sleep(2)
            one = await fan_out(deployment, tabs, changed)
            print(row(f"1 room x {PEOPLE_PER_ROOM}, {size} tabs", one), flush=True)
            await seat([room_id for room_id in deployment.room_ids if room_id != changed],
                       PEOPLE_PER_ROOM)
            await asyncio.sleep(2)
            many = await fan_out(deployment, tabs, changed)
            print(row(f"{MANY_ROOMS} rooms x {PEOPLE_PER_ROOM}, {size} tabs", many), flush=True)
        for tab in tabs:
            tab.close()
    finally:
        deployment.stop()
    return one, many


class FloorProcess(AppProcess):
    """bench/_floor_broadcaster.py, served the way `reflex run --env prod` serves the app."""

    ready_path = "/ping"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--worker-class", WORKER_CLASS,
                "--bind", f"127.0.0.1:{self.port}",
                "--log-level", "warning", "bench._floor_broadcaster:app"]

    def migrate(self) -> None:  # no database
        pass


async def run_floor(sizes: list[int], chars: dict[int, int], storm: int, workdir: Path) -> dict:
    import httpx

    floor = FloorProcess(data_dir=workdir, public_port=0, wrapper=["taskset", "-c", "0"])
    floor.start()
    results = {}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            tabs = []
            for size in sizes:
                tabs += await open_tabs([floor.port], ["floor"] * (size - len(tabs)))
                await asyncio.sleep(2)

                async def change(marker: str, size=size) -> None:
                    (await client.post(f"http://127.0.0.1:{floor.port}/change",
                                       json={"marker": marker, "chars": chars[size]})
                     ).raise_for_status()

                results[size] = await measure(tabs, change)
                print(row(f"floor, {size} tabs", results[size]), flush=True)
        for tab in tabs:
            tab.close()
        await asyncio.sleep(3)
        if storm:
            results["storm"] = await join_storm([floor.port], ["floor"] * storm)
            print(f"floor join storm of {storm}: settled in {results['storm']:.2f} s",
                  flush=True)
    finally:
        floor.stop()
    return results


def report(ours: dict, floor: dict, many: tuple[dict, dict] | None,
           sizes: list[int]) -> None:
    print("\n| tabs | ours p50 / p99 ms | floor p50 / p99 ms | p99 / floor | frame chars |")
    print("| --- | --- | --- | --- | --- |")
    for size in sizes:
        a, b = ours[size], floor[size]
        print(f"| {size} | {a['p50']:.1f} / {a['p99']:.1f} | {b['p50']:.1f} / {b['p99']:.1f} "
              f"| {a['p99'] / b['p99']:.2f}x | {a['chars']} |")
    if "storm" in ours and "storm" in floor:
        print(f"| storm | {ours['storm']:.2f} s | {floor['storm']:.2f} s "
              f"| {ours['storm'] / floor['storm']:.2f}x | |")
    if many is not None:
        one, crowded = many
        print(f"| 1 room x {PEOPLE_PER_ROOM}, {sizes[-1]} tabs "
              f"| {one['p50']:.1f} / {one['p99']:.1f} | | | {one['chars']} |")
        print(f"| {MANY_ROOMS} rooms x {PEOPLE_PER_ROOM}, {sizes[-1]} tabs "
              f"| {crowded['p50']:.1f} / {crowded['p99']:.1f} | "
              f"| {crowded['p99'] / one['p99']:.2f}x the one-room p99 | {crowded['chars']} |")
    print(f"backend memory per idle tab: {ours['kib_per_tab']:.0f} KiB", flush=True)


async def run_scaled(args, workdir: Path) -> dict:
    from tests.support import servers

    sizes = [int(s) for s in args.scaled_sizes.split(",") if s]
    results = {}
    with servers.redis_server() as redis_url, servers.postgres_database() as database_url:
        deployment = Deployment(workdir / "scaled", users=max(sizes), processes=2,
                                redis_url=redis_url, database_url=database_url).start()
        try:
            tabs = []
            for size in sizes:
                tabs += await open_tabs(deployment.ports, deployment.tokens[len(tabs):size])
                await asyncio.sleep(2)
                results[size] = await fan_out(deployment, tabs)
                print(row(f"2 workers + Redis, {size} tabs", results[size]), flush=True)
            for tab in tabs:
                tab.close()
        finally:
            deployment.stop()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,250,500")
    parser.add_argument("--scaled-sizes", default="500,1000")
    parser.add_argument("--no-scaled", action="store_true")
    parser.add_argument("--no-many-rooms", action="store_true")
    parser.add_argument("--storm", type=int, default=200)
    parser.add_argument("--baseline-sizes", default="10,100",
                        help="the naive SharedState baseline overloads beyond a few hundred")
    args = parser.parse_args()
    prepare_environment()
    pin_here_to_core(1)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="bench-presence-") as tmp:
        workdir = Path(tmp)
        for sub in ("single", "many", "floor", "scaled", "baseline"):
            (workdir / sub).mkdir()
        ours = await run_single(args, workdir)
        many = None if args.no_many_rooms else await run_many_rooms(sizes[-1], workdir)
        floor = await run_floor(sizes, {size: ours[size]["chars"] for size in sizes},
                                args.storm, workdir / "floor")
        report(ours, floor, many, sizes)
        if not args.no_scaled:
            scaled = await run_scaled(args, workdir)
            for size in sorted(set(scaled) & set(floor)):
                over = scaled[size]["p99"] / floor[size]["p99"]
                print(f"2 workers + Redis, {size} tabs: p99 {over:.2f}x the one-worker floor",
                      flush=True)
        if args.baseline_sizes:
            from bench.presence_baseline import run_baseline

            await run_baseline(args, workdir / "baseline")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(main())
