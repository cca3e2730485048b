"""Restarts in the middle of a call: LiveKit, the backend, and Redis when scaled. Each is
injected into the real processes; the tests assert what users would notice afterwards."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
import redis
from playwright.async_api import expect
from sqlmodel import Session, select

from distokoloshe.db import make_engine
from distokoloshe.livekit_tokens import livekit_room_name
from distokoloshe.models import Room
from tests.e2e.test_calls import _heard, _join_room, _lookup, _python_peer
from tests.e2e.test_presence import person, room_members
from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e

RECOVERY_LIMIT_SECONDS = 60.0


async def _until(check, timeout: float, interval: float = 0.5) -> float | None:
    """Seconds until the async `check()` is true, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(interval)
    return None


def _room_id(scaled, room_name: str) -> int:
    engine = make_engine(scaled.database_url)
    with Session(engine) as session:
        room_id = session.exec(select(Room.id).where(Room.name == room_name)).one()
    engine.dispose()
    return room_id


async def _two_in_a_call(new_page, seed_user) -> tuple:
    """Thandi (first) and Sipho (second) in a call; display names get a random suffix."""
    first, second = await new_page(), await new_page()
    names = ("Thandi " + secrets.token_hex(2), "Sipho " + secrets.token_hex(2))
    first_user = seed_user(display_name=names[0])
    await log_in(first, first_user)
    room_name = "Sturdy " + secrets.token_hex(3)
    await create_room(first, room_name)
    await _join_room(second, seed_user, names[1], room_name)
    for page in (first, second):
        await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    return first, second, first_user, room_name, names


async def test_livekit_restart_mid_call_everyone_is_back_and_hearing(new_page, app, livekit,
                                                                      seed_user):
    first, second, first_user, room_name, names = await _two_in_a_call(new_page, seed_user)
    first_id = str(_lookup(app, first_user, room_name)[0].id)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name, name="Peer")
    await peer.publish_tone()
    assert await peer.wait_for_sound(first_id) > 0.02
    assert await _heard(second, "Peer") > 0.02
    assert await _heard(first, names[1]) > 0.02

    livekit.kill()
    await expect(first.get_by_text("Reconnecting…", exact=True)).to_be_visible(timeout=30_000)
    livekit.start()
    restarted = time.monotonic()
    # The browsers rejoin by themselves. The Python peer is a client program, so like any
    # client it rejoins when its SDK gives up (a fresh token from the app, as browsers get).
    if not await _until(lambda: _connected(peer), 15):
        await peer.close()
        peer, _ = await _python_peer(app, livekit, seed_user, room_name, name="Peer")
        await peer.publish_tone()

    async def everyone_hears_everyone() -> bool:
        return (peer.loudest(first_id, time.monotonic() - 1.5) > 0.02
                and await _heard(first, names[1], 0.6) > 0.02
                and await _heard(second, "Peer", 0.6) > 0.02)

    try:
        recovered = await _until(everyone_hears_everyone, RECOVERY_LIMIT_SECONDS)
        assert recovered is not None, "not everyone hears everyone a minute after the restart"
        print(f"\nLiveKit restart: all back and hearing {time.monotonic() - restarted:.1f} s "
              "after it came back")
        # presence agrees: exactly the three of them in the room, seen from both browsers
        for page in (first, second):
            members = room_members(page, room_name)
            await expect(members).to_have_count(3, timeout=40_000)
            for name in (*names, "Peer"):
                await expect(members.filter(has_text=name)).to_have_count(1)
    finally:
        await peer.close()


async def _connected(peer) -> bool:
    from livekit import rtc

    return (peer.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
            and bool(peer.room.remote_participants))


async def test_backend_restart_mid_call_media_flows_and_everything_comes_back(
        new_page, app, seed_user):
    first, second, _first_user, room_name, names = await _two_in_a_call(new_page, seed_user)
    assert await _heard(first, names[1]) > 0.02

    restart = asyncio.ensure_future(asyncio.to_thread(app.restart))
    levels = []
    while not restart.done():  # media does not go through the backend
        levels.append(await _heard(first, names[1], 1.0))
    await restart
    assert len(levels) >= 3 and min(levels) > 0.02, levels

    # The pages reconnect by themselves; nobody is logged out; presence and the room list
    # are rebuilt (the new backend process lists the call's participants from LiveKit).
    for page, me in zip((first, second), names, strict=True):
        await expect(page.get_by_role("button", name=f"Account menu for {me}")
                     ).to_be_visible(timeout=30_000)
        await expect(page.get_by_role("button", name=room_name, exact=True)).to_be_visible(
            timeout=30_000)
        await expect(room_members(page, room_name)).to_have_count(2, timeout=30_000)
        for name in names:
            await expect(person(page, name)).to_have_attribute("data-online", "true",
                                                               timeout=30_000)
    assert await _heard(first, names[1]) > 0.02
    assert await _heard(second, names[0]) > 0.02


async def test_redis_restart_when_scaled_presence_rebuilds_without_a_backend_restart(
        open_on, scaled_user, scaled):
    pages = []
    for n, first_name in ((0, "Zola"), (1, "Lwazi")):
        display_name = f"{first_name} {secrets.token_hex(2)}"
        page = await open_on(n)
        await log_in(page, scaled_user(display_name))
        pages.append((page, display_name))
    (zola, zola_name), (lwazi, lwazi_name) = pages
    room_name = "Redis " + secrets.token_hex(3)
    await create_room(zola, room_name)
    await expect(zola.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    await expect(room_members(lwazi, room_name).filter(has_text=zola_name)).to_be_visible()

    scaled.redis.stop()
    scaled.redis.start()  # empty: everything Redis held is gone

    # The workers reconnect, re-register their tabs and re-list LiveKit's calls.
    store = redis.Redis.from_url(scaled.redis.url, decode_responses=True)
    room_key = "dtk:presence:room:" + livekit_room_name(_room_id(scaled, room_name))

    async def rebuilt() -> bool:
        online = {info.split("|")[0] for info in store.hvals("dtk:presence:conn")}
        return len(online) >= 2 and store.hlen(room_key) == 1

    try:
        rebuilt_after = await _until(rebuilt, 45)
    finally:
        store.close()
    assert rebuilt_after is not None, "presence was not rebuilt in Redis within 45 s"
    for viewer in (zola, lwazi):
        for name in (zola_name, lwazi_name):
            await expect(person(viewer, name)).to_have_attribute("data-online", "true")

    # Redis also held each tab's Reflex state. A tab's first event afterwards finds a new,
    # empty state: it passes through the login page, whose check reads the token from the
    # browser again and sends it straight back. Nobody is logged out; that first click is
    # not carried out (and was never acknowledged), so it is made again.
    later = "After Redis " + secrets.token_hex(3)
    for _attempt in range(2):
        await expect(lwazi.get_by_role("heading", name="Rooms")).to_be_visible(timeout=20_000)
        await create_room(lwazi, later)
        try:
            await expect(lwazi.get_by_test_id("selected-room-name")).to_have_text(
                later, timeout=10_000)
            break
        except AssertionError:
            continue
    await expect(zola.get_by_role("button", name=later, exact=True)).to_be_visible(
        timeout=10_000)
    # that broadcast was built from the rebuilt store: Zola is still shown in the call
    await expect(room_members(lwazi, room_name).filter(has_text=zola_name)).to_be_visible()
    for page, name in pages:
        await expect(page.get_by_role("button", name=f"Account menu for {name}")
                     ).to_be_visible()
    await expect(zola.get_by_text("Connected", exact=True)).to_be_visible(timeout=30_000)
    print(f"\nRedis restart: presence rebuilt in Redis {rebuilt_after:.1f} s after it came back")
