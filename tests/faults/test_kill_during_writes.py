"""The backend is killed with SIGKILL while users are writing: registrations, new rooms,
saved preferences and volumes. Every write the app had acknowledged to its user (the delta
that shows success on their screen) is still there after a restart, the SQLite database
passes its integrity check, and returning tabs sign straight back in.

It runs on a backend of its own (own data directory and database), never the shared one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import random
import signal
import sqlite3
import time

import httpx
import pytest
from sqlmodel import select

from distokoloshe.models import ParticipantVolume, Room, User, UserPreferences
from distokoloshe.state.auth import AuthFormState
from distokoloshe.state.preferences import PreferencesState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState
from tests.faults.conftest import start_stack, stop_stack
from tests.support.identities import PASSWORD, next_client_address
from tests.support.reflex_client import ReflexClient

AUTH, ROOMS, PREFERENCES, SESSION = (AuthFormState.get_full_name(), RoomsState.get_full_name(),
                                     PreferencesState.get_full_name(),
                                     SessionState.get_full_name())
TRIALS = 3
KEYS = [f"Key{letter}" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
_serial = itertools.count()


@dataclasses.dataclass
class Ledger:
    """What was sent, and what the app acknowledged, per kind of write."""

    registered: list[str] = dataclasses.field(default_factory=list)
    rooms: list[tuple[int, str]] = dataclasses.field(default_factory=list)       # owner, name
    keys_sent: dict[int, list[str]] = dataclasses.field(default_factory=dict)    # user -> keys
    keys_acked: dict[int, int] = dataclasses.field(default_factory=dict)         # -> last index
    volumes_sent: dict[int, list[int]] = dataclasses.field(default_factory=dict)
    volumes_acked: dict[int, int] = dataclasses.field(default_factory=dict)
    saves: int = 0   # acknowledged preference and volume saves

    @property
    def acknowledged(self) -> int:
        return len(self.registered) + len(self.rooms) + self.saves


@pytest.fixture(scope="module")
def doomed(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("faults-kill"), with_livekit=False)
    yield stack
    stop_stack(stack)


async def register_until_killed(stack, ledger: Ledger) -> None:
    with contextlib.suppress(Exception):
        while True:
            username = f"k{next(_serial)}{os.getpid() % 1000}x{random.randrange(10**6)}"
            client = ReflexClient(stack.port, origin=stack.origin,
                                  client_address=next_client_address(),
                                  router_data={"pathname": "/register", "asPath": "/register"})
            try:
                await client.connect(timeout=5)
                await client.send(f"{AUTH}.register", {"form_data": {
                    "username": username, "password": PASSWORD, "confirm": PASSWORD}})
                await client.wait_for_value(SESSION, "username", username, timeout=10)
                ledger.registered.append(username)
            finally:
                await client.close()


async def create_rooms_until_killed(stack, user: User, ledger: Ledger) -> None:
    with contextlib.suppress(Exception):
        client = await stack.signed_in(user)
        try:
            while True:
                name = f"Crash {next(_serial)} {random.randrange(10**6)}"
                await client.send(f"{ROOMS}.create_room", {"form_data": {"room_name": name}})
                await client.wait_for(lambda name=name: (
                    client.value(ROOMS, "selected_room") or {}).get("name") == name, 10)
                ledger.rooms.append((user.id, name))
        finally:
            await client.close()


async def save_preferences_until_killed(stack, user: User, speaker: User,
                                        ledger: Ledger) -> None:
    keys, volumes = ledger.keys_sent.setdefault(user.id, []), ledger.volumes_sent.setdefault(
        user.id, [])
    with contextlib.suppress(Exception):
        client = await stack.signed_in(user)
        try:
            for n in itertools.count():
                key = KEYS[n % len(KEYS)]
                keys.append(key)
                await client.round_trip(PREFERENCES, "set_preference",
                                        {"key": "push_to_talk_key", "value": key},
                                        "push_to_talk_key", key, timeout=10)
                ledger.keys_acked[user.id] = len(keys) - 1
                ledger.saves += 1
                volume = (7 * n) % 201
                volumes.append(volume)
                await client.send(f"{PREFERENCES}.set_volume",
                                  {"identity": str(speaker.id), "value": volume})
                await client.wait_for(lambda volume=volume: (
                    client.value(PREFERENCES, "hearing") or {}).get(
                    str(speaker.id), [None])[0] == volume, 10)
                ledger.volumes_acked[user.id] = len(volumes) - 1
                ledger.saves += 1
        finally:
            await client.close()


def integrity(stack) -> str:
    path = stack.app.database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path, timeout=15)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def kill(stack) -> None:
    os.killpg(stack.app.process.pid, signal.SIGKILL)
    stack.app.process.wait(timeout=10)


def assert_survived(stack, ledger: Ledger) -> None:
    with stack.db() as session:
        usernames = set(session.exec(select(User.username)).all())
        missing = [name for name in ledger.registered if name not in usernames]
        assert not missing, f"acknowledged registrations lost: {missing}"
        for owner_id, name in ledger.rooms:
            room = session.exec(select(Room).where(Room.name == name)).first()
            assert room is not None and room.owner_id == owner_id, f"room {name!r} lost"
        for user_id, acked in ledger.keys_acked.items():
            stored = session.get(UserPreferences, user_id).push_to_talk_key
            # the last acknowledged value, or one sent after it (committed, not yet shown)
            assert stored in ledger.keys_sent[user_id][acked:], (stored, acked)
        for user_id, acked in ledger.volumes_acked.items():
            rows = session.exec(select(ParticipantVolume).where(
                ParticipantVolume.listener_id == user_id)).all()
            assert len(rows) == 1 and rows[0].volume in ledger.volumes_sent[user_id][acked:]


async def test_acknowledged_writes_survive_sigkill(doomed):
    stack = doomed
    rng = random.Random(9)
    owners = [stack.user(f"Builder {n}") for n in range(2)]
    savers = [stack.user(f"Tuner {n}") for n in range(2)]
    speaker = stack.user("Speaker")
    ledger = Ledger()
    recoveries, acknowledged = [], []
    for _trial in range(TRIALS):
        before = ledger.acknowledged
        writers = [asyncio.create_task(register_until_killed(stack, ledger)) for _ in range(2)]
        writers += [asyncio.create_task(create_rooms_until_killed(stack, owner, ledger))
                    for owner in owners]
        writers += [asyncio.create_task(save_preferences_until_killed(stack, user, speaker,
                                                                      ledger))
                    for user in savers]
        await asyncio.sleep(rng.uniform(1.5, 3.0))
        killed_at = time.monotonic()
        kill(stack)
        await asyncio.wait_for(asyncio.gather(*writers), 30)
        acknowledged.append(ledger.acknowledged - before)
        assert integrity(stack) == "ok"

        await asyncio.to_thread(stack.app.start)
        recoveries.append(time.monotonic() - killed_at)
        assert integrity(stack) == "ok"
        assert_survived(stack, ledger)
        # a returning tab (same browser storage) is signed straight back in
        for user in (*owners, *savers):
            tab = await stack.signed_in(user)
            assert tab.value(SESSION, "username") == user.username
            await tab.close()
    print(f"\nSIGKILL during writes: {TRIALS} kills, {sum(acknowledged)} acknowledged writes "
          f"({acknowledged} per kill: {len(ledger.registered)} registrations, "
          f"{len(ledger.rooms)} rooms, {ledger.saves} preference and volume saves), all "
          f"present after restart; worst recovery (kill to serving) {max(recoveries):.1f} s")
    assert all(count > 0 for count in acknowledged), "the kill came before any write"
    assert httpx.get(f"http://127.0.0.1:{stack.port}/ping", timeout=5).status_code == 200
