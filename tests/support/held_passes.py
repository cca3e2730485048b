"""What a device that was put out of a call still holds (its join token and the room's key
from before), and what happens when it comes back with them; plus looking up a test's users
and rooms in the app's database. Shared by the removal, disabling and call tests."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import Session, select

from distokoloshe import e2ee, livekit_tokens
from distokoloshe.db import make_engine
from distokoloshe.models import Room, User
from distokoloshe.settings import Settings
from tests.support.peer import TonePeer

BROWSER_TONE_HZ = 440.0  # what every test browser's fake microphone plays


def app_settings(livekit, app=None) -> Settings:
    """The app's LiveKit keys and, given the app, its E2EE secret."""
    e2ee_secret = app.env["E2EE_SECRET"] if app is not None else "y" * 40
    return Settings(_env_file=None, livekit_url=livekit.url, livekit_api_key=livekit.api_key,
                    livekit_api_secret=livekit.api_secret, jwt_secret="x" * 40,
                    e2ee_secret=e2ee_secret)


def lookup(app, username: str, room_name: str) -> tuple[User, Room]:
    engine = make_engine(app.database_url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        room = session.exec(select(Room).where(Room.name == room_name)).one()
    engine.dispose()
    return user, room


def lobby_member(page, user_id: int):
    """`user_id` shown in a call in that page's room list."""
    return page.locator(f'[data-testid="room-member"][data-identity="{user_id}"]')


async def held_pass(app, livekit, username: str, room_name: str) -> tuple[int, str, str]:
    """(user id, join token, room key) as that user's device holds them right now."""
    user, room = lookup(app, username, room_name)
    settings = app_settings(livekit, app)
    return (user.id, livekit_tokens.mint_join_token(user, room, settings=settings),
            e2ee.current_room_key(room, settings=settings))


async def come_back(livekit, token: str, key: str, watcher, user_id: int,
                    speaker_id: int) -> tuple[float, float, int]:
    """Connects with the held token; returns (seconds until LiveKit put it out again, how many
    frames of `speaker_id`'s voice (the browser's tone) it decoded meanwhile, how often
    `watcher`'s lobby showed it in the call)."""
    peer = TonePeer()
    put_out = asyncio.Event()
    peer.room.on("disconnected", lambda *_: put_out.set())
    shown = 0
    try:
        await peer.connect(livekit.url, token, e2ee_key=key)
        joined = time.monotonic()
        waiting = asyncio.ensure_future(put_out.wait())
        while not waiting.done() and time.monotonic() - joined < 15:
            shown += await lobby_member(watcher, user_id).count()
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - joined if waiting.done() else float("inf")
        waiting.cancel()
        for _ in range(20):  # and not afterwards either (a webhook or reconcile behind)
            shown += await lobby_member(watcher, user_id).count()
            await asyncio.sleep(0.1)
        return elapsed, peer.tone_frames(str(speaker_id), joined, BROWSER_TONE_HZ), shown
    finally:
        await peer.close()
