"""Calls through a real LiveKit server: browsers and a Python peer hear each other."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from playwright.async_api import expect

from distokoloshe import e2ee, livekit_admin, livekit_tokens
from tests.support.held_passes import app_settings as _settings
from tests.support.held_passes import lookup as _lookup
from tests.support.live_fixtures import create_room, log_in
from tests.support.peer import TonePeer

pytestmark = pytest.mark.e2e

DENY_MICROPHONE = """
(() => {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => (constraints && constraints.audio)
    ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
    : original(constraints);
})();
"""


async def _python_peer(app, livekit, seed_user, room_name: str, *, key: str | None = "room",
                       name: str = "Python peer") -> tuple[TonePeer, str]:
    """A Python participant with the room's real key (the default), another key, or none."""
    username = seed_user(display_name=name)
    user, room = _lookup(app, username, room_name)
    settings = _settings(livekit, app)
    token = livekit_tokens.mint_join_token(user, room, settings=settings)
    index = e2ee.key_index(room.key_epoch)
    if key == "room":
        key = e2ee.current_room_key(room, settings=settings)
    peer = await TonePeer().connect(livekit.url, token, e2ee_key=key)
    if key is not None and index:
        peer.set_room_key(key, index)
    return peer, str(user.id)


async def _heard(page, name: str, seconds: float = 1.5) -> float:
    """The loudest level of `name` this browser plays, read from that tile's level meter."""
    meter = page.get_by_role("meter", name=f"Level of {name}")
    loudest = 0.0
    for _ in range(int(seconds * 10)):
        loudest = max(loudest, float(await meter.get_attribute("data-rms") or 0))
        await asyncio.sleep(0.1)
    return loudest


async def _wait_until_heard(page, name: str, *, timeout: float = 20.0) -> float:
    level = 0.0
    for _ in range(int(timeout / 1.5)):
        level = await _heard(page, name)
        if level > 0.02:
            break
    return level


async def _join_new_room(page, seed_user, display_name: str) -> tuple[str, str]:
    """Logs a new user in and creates a room, which joins its call. (username, room name)"""
    username = seed_user(display_name=display_name)
    await log_in(page, username)
    name = "Call " + secrets.token_hex(3)
    await create_room(page, name)
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    return username, name


async def _join_room(page, seed_user, display_name: str, room_name: str) -> str:
    """Logs a new user in and clicks an existing room, which joins its call; the username."""
    username = seed_user(display_name=display_name)
    await log_in(page, username)
    await page.get_by_role("button", name=room_name, exact=True).click()
    return username


def _tile(page, name: str):
    return page.get_by_test_id("participant-tile").filter(has_text=name)


async def test_browser_and_python_peer_hear_each_other(new_page, app, livekit, seed_user):
    page = await new_page()
    username, room_name = await _join_new_room(page, seed_user, "Browser user")
    browser_user, _ = _lookup(app, username, room_name)
    peer, _peer_identity = await _python_peer(app, livekit, seed_user, room_name)
    try:
        await peer.publish_tone()
        await expect(_tile(page, "Python peer")).to_be_visible(timeout=15_000)
        assert await _wait_until_heard(page, "Python peer") > 0.02, "the browser hears nothing"
        heard = await peer.wait_for_sound(str(browser_user.id))
        assert heard > 0.02, f"the peer hears silence from the browser (rms {heard:.4f})"
    finally:
        await peer.close()


async def test_two_browsers_see_tiles_speaking_and_mute_silences(new_page, seed_user):
    alice, bob = await new_page(), await new_page()
    _, room_name = await _join_new_room(alice, seed_user, "Alice")
    await _join_room(bob, seed_user, "Bob", room_name)

    for page, other in ((alice, "Bob"), (bob, "Alice")):
        await expect(_tile(page, other)).to_be_visible(timeout=20_000)
    # LiveKit's active-speaker detection marks the other browser's steady tone as speech.
    # On a loaded machine its first report can take a while: wait for it, however long.
    await expect(_tile(bob, "Alice")).to_have_attribute("data-speaking", "true", timeout=90_000)
    await expect(_tile(alice, "Bob")).to_have_attribute("data-speaking", "true", timeout=90_000)
    assert await _wait_until_heard(bob, "Alice") > 0.02

    await alice.get_by_role("button", name="Mute", exact=True).click()
    await expect(_tile(bob, "Alice")).to_have_attribute("data-mic", "off", timeout=10_000)
    await asyncio.sleep(1.0)
    assert await _heard(bob, "Alice", seconds=2) < 0.002, "Bob still hears Alice after she muted"

    await alice.keyboard.press("m")  # the shortcut unmutes
    await expect(_tile(bob, "Alice")).to_have_attribute("data-mic", "on", timeout=10_000)
    assert await _wait_until_heard(bob, "Alice") > 0.02


async def test_denied_microphone_gets_a_message_and_can_still_listen(
    new_page, app, livekit, seed_user
):
    page = await new_page()
    await page.context.add_init_script(DENY_MICROPHONE)
    _, room_name = await _join_new_room(page, seed_user, "No mic")
    await expect(page.get_by_test_id("media-error")).to_have_text(
        "Microphone access was denied by the browser. You can still listen.")
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        await peer.publish_tone()
        assert await _wait_until_heard(page, "Python peer") > 0.02
    finally:
        await peer.close()


async def test_switching_rooms_leaves_the_previous_call(new_page, app, livekit, seed_user):
    page = await new_page()
    username, first = await _join_new_room(page, seed_user, "Switcher")
    second = "Call " + secrets.token_hex(3)
    await create_room(page, second)
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(second)
    settings = _settings(livekit)
    _, room_one = _lookup(app, username, first)
    _, room_two = _lookup(app, username, second)

    async def members(room_id):
        return await livekit_admin.list_participant_identities(room_id, settings=settings)

    for _ in range(40):
        if not await members(room_one.id) and len(await members(room_two.id)) == 1:
            break
        await asyncio.sleep(0.5)
    assert await members(room_one.id) == []
    assert len(await members(room_two.id)) == 1

    # Leaving lets the call go at once; "Join call" brings this tab back into it.
    await page.get_by_role("button", name="Leave").click()
    for _ in range(40):
        if not await members(room_two.id):
            break
        await asyncio.sleep(0.5)
    assert await members(room_two.id) == []
    await page.get_by_role("button", name="Join call").click()
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    assert len(await members(room_two.id)) == 1


async def test_deleting_a_room_disconnects_everyone_in_it(new_page, seed_user):
    owner, guest = await new_page(), await new_page()
    _, room_name = await _join_new_room(owner, seed_user, "Owner")
    await _join_room(guest, seed_user, "Guest", room_name)
    await expect(_tile(guest, "Owner")).to_be_visible(timeout=20_000)

    await owner.get_by_role("button", name="Delete room").click()
    await owner.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await expect(guest.get_by_test_id("participant-tile")).to_have_count(0, timeout=15_000)
    await expect(guest.get_by_role("button", name=room_name, exact=True)).to_have_count(0)


async def test_reload_rejoins_and_a_restarted_livekit_shows_reconnecting(
    new_page, seed_user, livekit
):
    page = await new_page()
    await _join_new_room(page, seed_user, "Steady")
    await page.reload()
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)

    livekit.kill()
    await expect(page.get_by_text("Reconnecting…", exact=True)).to_be_visible(timeout=30_000)
    livekit.start()
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=60_000)
    await expect(_tile(page, "Steady")).to_be_visible()


async def test_device_choice_is_remembered_in_this_browser(new_page, seed_user):
    page = await new_page()
    await _join_new_room(page, seed_user, "Devices")
    await page.get_by_role("button", name="Audio and video settings").click()
    microphone = page.get_by_label("Microphone", exact=True)
    options = await microphone.locator("option").all_inner_texts()
    assert len(options) >= 2, options  # "System default" plus Chromium's fake devices
    await microphone.select_option(label=options[-1])
    # the select shows the state's value, so it holds the choice once the backend has it
    await expect(microphone).not_to_have_value("")
    chosen = await microphone.input_value()
    await page.reload()
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    await page.get_by_role("button", name="Audio and video settings").click()
    await expect(page.get_by_label("Microphone", exact=True)).to_have_value(chosen)


async def test_deafen_also_mutes_and_undeafen_restores(new_page, app, livekit, seed_user):
    page = await new_page()
    username, room_name = await _join_new_room(page, seed_user, "Deafener")
    browser_user, _ = _lookup(app, username, room_name)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        assert await peer.wait_for_sound(str(browser_user.id)) > 0.02
        await page.get_by_role("button", name="Deafen", exact=True).click()
        await expect(page.get_by_role("button", name="Undeafen", exact=True)).to_have_attribute(
            "aria-pressed", "true")
        await expect(page.get_by_role("button", name="Unmute", exact=True)).to_be_visible()
        await asyncio.sleep(1.5)
        since = time.monotonic()
        await asyncio.sleep(2)
        assert peer.loudest(str(browser_user.id), since) < 0.005, "deafened user still sends"

        await page.keyboard.press("d")  # the shortcut undeafens
        await expect(page.get_by_role("button", name="Mute", exact=True)).to_be_visible()
        assert await peer.wait_for_sound(str(browser_user.id), timeout=10) > 0.02
    finally:
        await peer.close()
