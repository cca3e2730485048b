"""The soundboard extension, end to end, and the call bridge under it: a clip a browser
uploads is played into the call as the player's own track, heard by a second browser and a
Python peer, silenced by the listener's slider, and undecodable without the room's key;
who played it comes from LiveKit, never from the message."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import secrets
import time
import wave

import numpy as np
import pytest
from playwright.async_api import Page, expect
from sqlmodel import Session, func, select

from distokoloshe import e2ee
from distokoloshe.db import make_engine
from distokoloshe.extensions.soundboard.models import SoundboardClip
from tests.e2e.test_calls import (
    _join_new_room,
    _join_room,
    _lookup,
    _python_peer,
    _settings,
    _tile,
)
from tests.support.call_bridge import seal, unseal
from tests.support.identities import next_client_address
from tests.support.live_fixtures import ContextOpener, account_maker
from tests.support.peer import SAMPLE_RATE, TonePeer, write_wav

pytestmark = pytest.mark.e2e

CLIP_HZ = 880.0      # the browsers' fake microphones play 440 Hz
CLIP_SECONDS = 4.0
TOPIC = "ext:soundboard:played"


@dataclasses.dataclass
class Call:
    player: Page
    listener: Page
    player_id: str
    peer: TonePeer                     # has the room's key
    plain: TonePeer                    # has no key
    packets: dict[str, list]           # "peer" / "plain" -> [(topic, data, sender identity)]
    title: str
    app: object
    room_key: str

    @property
    def clip_track(self) -> str:
        return f"{self.player_id}#clip:soundboard"


def _record_data(peer: TonePeer, into: list) -> None:
    peer.room.on("data_received", lambda packet: into.append(
        (packet.topic, packet.data, packet.participant.identity if packet.participant else None)))


def _panel(page: Page):
    return page.locator("[data-extension-panel=soundboard]")


def _clip_count(app) -> int:
    engine = make_engine(app.database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(SoundboardClip)).one()
    engine.dispose()
    return count


async def _upload(page: Page, path, title: str = "") -> None:
    panel = _panel(page)
    await panel.get_by_label("Clip title").fill(title)
    await panel.locator("input[type=file]").set_input_files(str(path))
    await panel.get_by_role("button", name="Upload clip").click()


@pytest.fixture(scope="module")
async def call(browser, app, livekit, tmp_path_factory):
    tone = tmp_path_factory.mktemp("clips") / "tone.wav"
    t = np.arange(int(SAMPLE_RATE * CLIP_SECONDS)) / SAMPLE_RATE
    write_wav(tone, 0.5 * np.sin(2 * math.pi * CLIP_HZ * t))
    opener = ContextOpener(browser, app.public_url)
    peers: list[TonePeer] = []
    try:
        with account_maker(app.database_url, "s", app.env) as create:
            player, listener = [await opener.page(next_client_address(),
                                                  viewport={"width": 1400, "height": 900})
                                for _ in range(2)]
            username, room_name = await _join_new_room(player, create, "Player")
            await _join_room(listener, create, "Listener", room_name)
            await expect(_tile(listener, "Player")).to_be_visible(timeout=20_000)
            player_user, room = _lookup(app, username, room_name)
            room_key = e2ee.current_room_key(room, settings=_settings(livekit, app))
            peer, _ = await _python_peer(app, livekit, create, room_name, name="Peer hears")
            peers.append(peer)
            plain, _ = await _python_peer(app, livekit, create, room_name, key=None,
                                          name="Plain peer")
            peers.append(plain)
        packets = {"peer": [], "plain": []}
        _record_data(peer, packets["peer"])
        _record_data(plain, packets["plain"])

        title = "Tone " + secrets.token_hex(2)
        await _upload(player, tone, title)
        # the list is live: the other browser shows the new clip by itself
        await expect(listener.get_by_role("button", name=f"Play {title}")).to_be_visible()
        yield Call(player, listener, str(player_user.id), peer, plain, packets, title, app,
                   room_key)
    finally:
        for peer in peers:
            await peer.close()
        await opener.close()


async def _play(call: Call) -> float:
    """Plays the clip (again, once the 3 s limit allows) until the peer hears it; when."""
    for _ in range(6):
        since = time.monotonic()
        await call.player.get_by_role("button", name=f"Play {call.title}").click()
        if await call.peer.wait_for_sound(call.clip_track, timeout=4) > 0.02:
            return since
    raise AssertionError("the peer never heard the clip")


async def _clip_level(page: Page, seconds: float) -> float:
    meter = page.get_by_role("meter", name="Player's clips, level")
    loudest = 0.0
    for _ in range(int(seconds * 10)):
        loudest = max(loudest, float(await meter.get_attribute("data-rms") or 0))
        await asyncio.sleep(0.1)
    return loudest


async def test_a_clip_is_heard_in_the_call_as_the_players_own_track(call):
    since = await _play(call)
    # who played what, from the data message, with the sender LiveKit vouches for
    await expect(_panel(call.listener).get_by_test_id("soundboard-played")).to_have_text(
        f"Player played {call.title}")
    assert await _clip_level(call.listener, 2.0) > 0.01, "the listener's browser plays no clip"
    await asyncio.sleep(1.0)
    assert call.peer.tone_frames(call.clip_track, since, CLIP_HZ) > 100
    # the clip is not mixed into the microphone: that track still carries only 440 Hz
    assert call.peer.tone_frames(call.player_id, since, CLIP_HZ) == 0


async def test_a_peer_without_the_key_decodes_nothing_of_the_clip_or_the_message(call):
    since = await _play(call)
    await asyncio.sleep(CLIP_SECONDS)

    def tonal_share(peer) -> float:
        heard = peer.tone_frames(call.clip_track, since, CLIP_HZ)
        return heard / max(peer.frames(call.clip_track, since), 1)

    assert tonal_share(call.peer) > 0.5
    assert call.plain.frames(call.clip_track, since) > 0, "the plain peer got no clip track"
    assert tonal_share(call.plain) < 0.05, f"{tonal_share(call.plain):.0%} of frames decoded"
    # the played message: sealed with the room's key, so only a key holder reads it
    sent = [json.loads(unseal(call.room_key, topic, data))
            for topic, data, who in call.packets["peer"]
            if topic == TOPIC and who == call.player_id]
    assert sent and sent[-1]["title"] == call.title
    seen_plain = [data for topic, data, _ in call.packets["plain"] if topic == TOPIC]
    assert seen_plain, "the plain peer got no message to try"
    assert all(call.title.encode() not in data for data in seen_plain)


async def test_a_forged_sender_is_shown_as_who_really_sent_it(call):
    played = _panel(call.listener).get_by_test_id("soundboard-played")
    forged = {"clip": 1, "title": "Forgery", "sender": "Player", "sender_name": "Player",
              "sender_id": int(call.player_id)}
    await call.peer.room.local_participant.publish_data(
        seal(call.room_key, TOPIC, json.dumps(forged).encode()), topic=TOPIC)
    await expect(played).to_have_text("Peer hears played Forgery")
    await expect(_panel(call.player).get_by_test_id("soundboard-played")).to_have_text(
        "Peer hears played Forgery")
    await call.peer.room.local_participant.publish_data(
        seal(call.room_key, TOPIC, b"\xff not json {"), topic=TOPIC)
    await call.peer.room.local_participant.publish_data(
        seal(call.room_key, TOPIC, json.dumps({**forged, "title": "Second"}).encode()),
        topic=TOPIC)
    await expect(played).to_have_text("Peer hears played Second")  # junk broke nothing

    # in an encrypted call, a message the room's key did not seal is not believed at all
    await call.plain.room.local_participant.publish_data(
        json.dumps({**forged, "title": "Cleartext"}), topic=TOPIC)
    await asyncio.sleep(2)
    await expect(played).to_have_text("Peer hears played Second")


async def test_uploads_that_are_not_short_audio_are_refused_and_nothing_is_stored(
        call, tmp_path):
    before = _clip_count(call.app)
    text = tmp_path / "fake.mp3"
    text.write_text("this is not audio at all, whatever its name says\n" * 20)
    big = write_wav(tmp_path / "big.wav", 0.1 * np.ones(int(SAMPLE_RATE * 11.5)))  # 1.1 MB
    long = tmp_path / "long.wav"  # 11 s, small: 8 kHz
    with wave.open(str(long), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8_000)
        writer.writeframes(bytes(2 * 8_000 * 11))
    message = _panel(call.listener).get_by_test_id("soundboard-message")
    for path, refusal in ((text, "That is not an audio file the soundboard can play"),
                          (big, "A clip may be at most 1.0 MB"),
                          (long, "A clip may be at most 10 seconds")):
        await _upload(call.listener, path, "Refused " + path.stem)
        await expect(message).to_contain_text(refusal)
    assert _clip_count(call.app) == before
    await expect(call.listener.get_by_role("button", name="Play Refused fake")).to_have_count(0)


async def test_the_listeners_slider_at_zero_silences_the_players_clips(call):
    slider = call.listener.get_by_role("slider", name="Player's clips, volume")
    await slider.focus()
    await slider.press("Home")
    await asyncio.sleep(0.6)  # the debounced change and the gain's ramp
    await _play(call)  # the peer hears it: it does play
    quietest = await _clip_level(call.listener, 2.5)
    assert quietest < 0.001, f"the clip still plays at 0% ({quietest:.4f})"
