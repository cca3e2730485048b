"""Floods: one client's event flood does not starve anyone else; the login and registration
rate limits and the connection caps hold when many processes hit them at once; a client
firing create_room gets no more rooms than the room limits allow; guessing invite codes is
as slow as the registration limit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from distokoloshe import invites
from distokoloshe.models import Invite, Room, User
from distokoloshe.settings import Settings
from distokoloshe.state.auth import AuthFormState
from distokoloshe.state.call import CallState
from distokoloshe.state.chat import ChatState
from distokoloshe.state.preferences import PreferencesState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState
from tests.faults.conftest import product_frames_in_tracebacks, start_stack, stop_stack
from tests.support.app import ROOT
from tests.support.identities import next_client_address
from tests.support.reflex_client import REGISTER_PAGE, ROOT_STATE

CALL = CallState.get_full_name()
CHAT = ChatState.get_full_name()
PREFERENCES = PreferencesState.get_full_name()
PRESENCE = PresenceState.get_full_name()
ROOMS = RoomsState.get_full_name()
AUTH, SESSION = AuthFormState.get_full_name(), SessionState.get_full_name()
SAMPLES = 60
# The room-creation window of the backend the cap test waits out: the limit's count (10) as
# in production, its window a third of a minute; still many times what 50 events take.
SHORT_WINDOW_SECONDS = 10  # the 50 creations below take a second or two


def backend_rss_kib(stack) -> int:
    """The resident memory of the app's biggest process (the backend worker)."""
    biggest = 0
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if os.getpgid(int(proc.name)) != stack.app.process.pid:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    biggest = max(biggest, int(line.split()[1]))
    return biggest


def backend_cpu_seconds(stack) -> float:
    """CPU time (user + system) spent so far by every process of the app's process group."""
    ticks = 0
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if os.getpgid(int(proc.name)) != stack.app.process.pid:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class Flooder:
    """tests/support/flood.py in its own process, so the flood does not share our CPU time."""

    def __init__(self, stack, token: str, event: str, payload: dict, seconds: float,
                 *options: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.flood", "--port", str(stack.port),
             "--origin", stack.origin, "--token", token, "--address", next_client_address(),
             "--event", event, "--payload", json.dumps(payload), "--seconds", str(seconds),
             *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_ready(self, timeout: float = 20.0, *, line: str = "ready") -> None:
        deadline = time.monotonic() + timeout
        said = ""
        while time.monotonic() < deadline and self.process.poll() is None:
            said = self.process.stdout.readline().strip()
            if said == line:
                return
        raise RuntimeError(f"the flooder did not say {line!r}: {said!r}")

    def finish(self, timeout: float = 60.0) -> dict:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
        # Not communicate(): it reads the pipe itself and would miss what readline() in
        # wait_ready has already buffered (the last line arrives with "thrown out" when the
        # websocket closes right after it).
        out, err = self.process.stdout.read(), self.process.stderr.read()
        lines = out.strip().splitlines()
        assert lines, f"the flooder ended with status {self.process.returncode}: {err[-2000:]}"
        return json.loads(lines[-1])


async def round_trips(client, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        expected = not client.value(CALL, "mic_on", True)
        samples.append(await client.round_trip(CALL, "toggle_mic", {}, "mic_on", expected,
                                               timeout=20))
    return samples


@pytest.mark.parametrize(("event", "payload"), [
    (f"{CALL}.toggle_mic", {}),                                              # state only
    (f"{PREFERENCES}.set_preference", {"key": "join_leave_sounds", "value": True}),  # a DB write
    (f"{CHAT}.send", {"form_data": {"message": "flood " * 300}}),             # chat
], ids=["toggle_mic", "set_preference", "chat"])
async def test_an_event_flood_from_one_client_does_not_starve_the_others(stack, event, payload):
    honest = await stack.signed_in(stack.user("Honest"))
    attacker = stack.user("Flood")
    log_start = stack.log_size()
    try:
        await round_trips(honest, 10)  # warm up
        idle = await round_trips(honest, SAMPLES)
        rss_before = backend_rss_kib(stack)
        flooder = Flooder(stack, stack.token(attacker), event, payload, seconds=30)
        try:
            await asyncio.to_thread(flooder.wait_ready)
            await asyncio.sleep(1.0)  # the flood is in full swing
            flooded = await round_trips(honest, SAMPLES)
            rss_during = backend_rss_kib(stack)
        finally:
            stats = await asyncio.to_thread(flooder.finish)
        after = await round_trips(honest, 10)
        idle_median, flood_median = statistics.median(idle), statistics.median(flooded)
        rate = stats["sent"] / max(stats["seconds"], 1e-9)
        print(f"\nflood of {event.rsplit('.', 1)[1]}: {stats['sent']} events at {rate:.0f}/s "
              f"over {stats['connections']} connections; "
              f"honest round trip median idle {idle_median * 1000:.2f} ms, during the flood "
              f"{flood_median * 1000:.2f} ms (p95 {sorted(flooded)[int(0.95 * SAMPLES)] * 1000:.2f}"
              f" ms), after {statistics.median(after) * 1000:.2f} ms; backend RSS "
              f"{rss_before // 1024} -> {rss_during // 1024} MiB")
        log = stack.log_since(log_start)
        # A flood is many times what the budget lets through; its absolute rate depends on
        # how busy the machine is, so it is held against the budget, not a fixed figure.
        assert rate > 5 * Settings().events_per_second, "the flood was not a flood"
        assert "events a second; dropping the excess" in log  # the budget did the work
        # Every honest event was answered during the flood (each within round_trips' 20 s);
        # how much slower they were is a rate on two shared cores, printed above and left to
        # bench/ to hold against a floor, not asserted here.
        assert len(flooded) == SAMPLES
        assert rss_during - rss_before < 100 * 1024
        assert product_frames_in_tracebacks(log) == []
    finally:
        await honest.close()


async def test_a_flooder_that_ignores_being_thrown_out_loses_its_websocket(stack):
    """A client that keeps sending on its websocket after the server's disconnect packets
    (as a hostile one would) finds the websocket itself closed, and what it sends after
    being thrown out costs the backend next to nothing."""
    attacker = stack.user("Stubborn")
    flooder = Flooder(stack, stack.token(attacker), f"{CALL}.toggle_mic", {}, 60,
                      "--ignore-close")
    try:
        await asyncio.to_thread(flooder.wait_ready)
        await asyncio.to_thread(flooder.wait_ready, 60, line="thrown out")
        cpu_before = backend_cpu_seconds(stack)
        with contextlib.suppress(subprocess.TimeoutExpired):  # it stops once it is cut off
            await asyncio.to_thread(flooder.process.wait, 45)
        cpu = backend_cpu_seconds(stack) - cpu_before
    finally:
        stats = await asyncio.to_thread(flooder.finish)
    print(f"\nthrown out at {stats['thrown_out_at']:.1f} s, websocket closed at "
          f"{stats.get('closed_at', float('nan')):.1f} s, "
          f"{stats.get('sent_after_thrown_out', 0)} events sent in between; backend CPU "
          f"after being thrown out {cpu:.2f} s")
    assert "closed_at" in stats, f"the websocket stayed open: {stats}"
    assert stats["connections"] == 1, stats
    assert cpu < 1.0, f"the ignored disconnect cost the backend {cpu:.2f} s of CPU"


async def _fire_create_room(client, count: int, prefix: str) -> None:
    """`count` create_room events back to back on one socket, then wait until the last has
    run (a socket's events run in order, so a round trip after them marks the end)."""
    for n in range(count):
        await client.send(f"{ROOMS}.create_room", {"form_data": {"room_name": f"{prefix} {n}"}})
    await client.round_trip(CALL, "toggle_mic", {}, "mic_on",
                            not client.value(CALL, "mic_on", True), timeout=60)


def _rooms_of(stack, user) -> int:
    with stack.db() as session:
        return len(session.exec(select(Room).where(Room.owner_id == user.id)).all())


async def test_a_client_firing_create_room_gets_only_the_rooms_the_limit_allows(stack):
    """50 create_room events from one raw socket: ROOM_CREATE_RATE_LIMIT (10 a minute) lets
    ten through, the rest are refused in the form, and every other lobby hears of ten rooms
    at most."""
    maker, watcher = stack.user("Maker"), await stack.signed_in(stack.user("Watcher"))
    client = await stack.signed_in(maker)
    prefix = f"Spam {maker.id}"
    try:
        pushes_before = len(watcher.updates)
        await _fire_create_room(client, 50, prefix)
        assert _rooms_of(stack, maker) == 10
        assert client.value(ROOMS, "create_error", "").startswith(
            "You are creating rooms too fast. Try again in")
        # Another account is not affected.
        other = await stack.signed_in(stack.user("Other maker"))
        await _fire_create_room(other, 1, f"Fine {maker.id}")
        await other.close()
        await asyncio.sleep(1.0)  # the lobby pushes are batched
        listed = [row for row in watcher.value(PRESENCE, "rooms") or []
                  if str(row.get("name", "")).startswith(prefix)]
        assert len(listed) == 10
        room_pushes = sum(1 for _at, update in watcher.updates[pushes_before:]
                          if "rooms_rx_state_" in (update.get("delta") or {}).get(PRESENCE, {}))
        print(f"\n50 create_room events: {_rooms_of(stack, maker)} rooms, {room_pushes} room "
              "lists pushed to another lobby")
        assert room_pushes <= 11 + 2  # ten rooms, the other account's one, a heartbeat or two
    finally:
        await client.close()
        await watcher.close()


@pytest.fixture(scope="module")
def short_window_stack(tmp_path_factory):
    """A backend whose ROOM_CREATE_RATE_LIMIT window is SHORT_WINDOW_SECONDS long."""
    running = start_stack(tmp_path_factory.mktemp("faults-short-window"), with_livekit=False,
                          ROOM_CREATE_RATE_LIMIT=f"10/{SHORT_WINDOW_SECONDS} seconds")
    yield running
    stop_stack(running)


async def test_a_client_firing_create_room_stops_at_the_cap(short_window_stack):
    """Someone who already owns 15 rooms fires 50 creations: MAX_ROOMS_PER_USER (20) holds,
    counted in the database, and the form says why."""
    stack = short_window_stack
    maker = stack.user("Collector")
    with stack.db() as session:
        for n in range(15):
            session.add(Room(name=f"Kept {maker.id} {n}", name_key=f"kept {maker.id} {n}",
                             owner_id=maker.id))
    client = await stack.signed_in(maker)
    try:
        await _fire_create_room(client, 50, f"More {maker.id}")
        assert _rooms_of(stack, maker) == 20
        # The five that fit, then the cap, then (after ten attempts) the rate limit.
        assert client.value(ROOMS, "create_error", "").startswith(
            "You are creating rooms too fast")
        await asyncio.sleep(SHORT_WINDOW_SECONDS + 1)  # a new window: the cap alone refuses now
        await _fire_create_room(client, 1, f"Last {maker.id}")
        assert client.value(ROOMS, "create_error", "").startswith(
            "You already have 20 rooms, as many as one person may have.")
        assert _rooms_of(stack, maker) == 20
    finally:
        await client.close()


async def test_guessing_invite_codes_quickly_stops_at_the_registration_limit(stack):
    """One address fires 50 registrations with guessed invite codes: REGISTER_RATE_LIMIT (5
    an hour) lets five be checked, the rest are told to wait, and once the limit is reached
    even the right code gets nowhere from that address; another address still registers."""
    with stack.db() as session:
        issuer = session.get(User, stack.user("Issuer").id)
        issuer.is_admin = True
        invite = invites.create_invite(session=session, user=issuer, uses=1, hours=1)
    guesser = await stack.client(token="", router_data=REGISTER_PAGE).connect()
    honest = None
    form = {"password": "a good passphrase", "confirm": "a good passphrase"}
    try:
        await guesser.wait_for(lambda: guesser.value(ROOT_STATE, "is_hydrated"), 20)
        for n in range(50):
            await guesser.send(f"{AUTH}.register", {"form_data": {
                **form, "username": f"guess{n}x", "invite": invites.new_code()}})
        await guesser.send(f"{AUTH}.register", {"form_data": {
            **form, "username": "rightcode", "invite": invite.code}})
        await guesser.wait_for(lambda: sum(_errors(guesser).values()) >= 51, 120)
        answers = _errors(guesser)
        assert answers.pop(invites.INVALID_INVITE) == 5
        [(waiting, count)] = answers.items()
        assert waiting.startswith("Too many registration attempts from your network.")
        assert count == 46  # the right code among them: it was never looked at
        with stack.db() as session:
            assert session.get(Invite, invite.id).uses == 0
            assert session.exec(select(User).where(User.username == "rightcode")).first() \
                is None

        honest = await stack.client(token="", router_data=REGISTER_PAGE).connect()
        await honest.wait_for(lambda: honest.value(ROOT_STATE, "is_hydrated"), 20)
        await honest.send(f"{AUTH}.register", {"form_data": {
            **form, "username": "rightcode", "invite": invite.code}})
        await honest.wait_for(lambda: honest.value(SESSION, "session_token"), 30)
    finally:
        await guesser.close()
        if honest is not None:
            await honest.close()


def _errors(client) -> dict[str, int]:
    """How often each registration refusal arrived (each answered event sends its own)."""
    counts: dict[str, int] = {}
    for _at, update in client.updates:
        error = (update.get("delta") or {}).get(AUTH, {}).get("register_error_rx_state_")
        if error:
            counts[error] = counts.get(error, 0) + 1
    return counts
