"""Moderation in a call: the room's owner mutes someone for everyone through LiveKit; the
others stop hearing them, the call says who did it, and they may unmute themselves."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import expect

from tests.e2e.test_calls import _join_new_room, _lookup, _python_peer, _tile
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

BROWSER_TONE_HZ = 440.0  # what every test browser's fake microphone plays


async def test_a_server_mute_silences_the_target_and_tells_them(new_page, app, livekit,
                                                                seed_user):
    owner = await new_page()
    _, room_name = await _join_new_room(owner, seed_user, "Moderating owner")
    target = await new_page()
    target_name = seed_user(display_name="Loud guest")
    await log_in(target, target_name)
    await target.get_by_role("button", name=room_name, exact=True).click()
    target_id = str(_lookup(app, target_name, room_name)[0].id)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name, name="Listening peer")
    try:
        assert await peer.wait_for_sound(target_id, timeout=30) > 0.02, "never heard them"
        await expect(_tile(owner, "Loud guest")).to_have_attribute("data-mic", "on",
                                                                   timeout=15_000)

        await owner.get_by_role("button", name="Mute Loud guest for everyone").click()

        await expect(target.get_by_test_id("call-notice")).to_have_text(
            "Moderating owner muted you for everyone. Unmute when you are ready.",
            timeout=15_000)
        await expect(owner.get_by_test_id("call-notice")).to_have_text(
            "Moderating owner muted Loud guest for everyone.")
        await expect(target.get_by_role("button", name="Unmute", exact=True)).to_be_visible()
        await expect(_tile(owner, "Loud guest")).to_have_attribute("data-mic", "off",
                                                                   timeout=15_000)
        await asyncio.sleep(1.0)  # audio already on its way when the mute landed
        quiet_from = time.monotonic()
        await asyncio.sleep(3.0)
        assert peer.tone_frames(target_id, quiet_from, BROWSER_TONE_HZ) == 0, \
            "the peer still hears the muted guest"

        # They may unmute themselves, and are heard again.
        await target.get_by_role("button", name="Unmute", exact=True).click()
        assert await peer.wait_for_sound(target_id, timeout=30) > 0.02, "not heard again"
    finally:
        await peer.close()


async def _owner_with_guest(new_page, seed_user, owner_name: str, guest_name: str):
    """The owner in a new room's call, and a guest who joined it: (owner, guest, room)."""
    owner, guest = await new_page(), await new_page()
    _, room_name = await _join_new_room(owner, seed_user, owner_name)
    await log_in(guest, seed_user(display_name=guest_name))
    await guest.get_by_role("button", name=room_name, exact=True).click()
    await expect(_tile(owner, guest_name)).to_be_visible(timeout=20_000)
    await expect(_tile(guest, owner_name)).to_be_visible(timeout=20_000)
    return owner, guest, room_name


async def test_only_a_moderator_sees_the_mute_button(new_page, seed_user):
    owner, guest, _ = await _owner_with_guest(new_page, seed_user, "Owner with guest",
                                              "Plain guest")
    await expect(owner.get_by_role("button", name="Mute Plain guest for everyone")
                 ).to_be_visible(timeout=20_000)
    await expect(guest.get_by_role("button", name="Mute Owner with guest for everyone")
                 ).to_have_count(0)


async def test_a_removal_holds_until_the_owner_lets_them_back_in(new_page, seed_user):
    owner, guest, room_name = await _owner_with_guest(new_page, seed_user, "Banning owner",
                                                      "Banned guest")

    await owner.get_by_role("button", name="Remove Banned guest from the call").click()
    await expect(_tile(owner, "Banned guest")).to_have_count(0, timeout=15_000)
    await guest.get_by_role("button", name=room_name, exact=True).click()
    await expect(guest.get_by_test_id("media-error")).to_have_text(
        "The owner removed you from this room's call.", timeout=15_000)

    await owner.get_by_role("button", name="Removed", exact=True).click()
    await owner.get_by_role("button", name="Let Banned guest back in").click()
    await expect(owner.get_by_test_id("banned-person")).to_have_count(0)
    await owner.keyboard.press("Escape")

    await guest.get_by_role("button", name=room_name, exact=True).click()
    await expect(guest.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    await expect(_tile(owner, "Banned guest")).to_be_visible(timeout=20_000)
