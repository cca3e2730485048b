"""Removal that holds: whoever was put out of a call, or signed out everywhere, stays out.

LiveKit hands every connected participant fresh tokens by itself (when it joins and every
5 minutes, each valid 10 minutes), so a removed or signed-out device can hold a token that
LiveKit still accepts. These tests keep the join token minted before the removal, which
LiveKit accepts just as it would one of those refreshed ones, and come back with it.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.e2e.test_calls import _join_new_room, _join_room, _lookup, _tile
from tests.e2e.test_presence import person
from tests.support.held_passes import come_back, held_pass
from tests.support.held_passes import lobby_member as _member
from tests.support.live_fixtures import log_in
from tests.support.peer import TonePeer

pytestmark = pytest.mark.e2e

PUT_OUT_WITHIN_SECONDS = 2.0


async def test_a_removed_user_coming_back_with_a_held_token_is_put_out_again(
        new_page, app, livekit, seed_user):
    owner = await new_page()
    owner_name, room_name = await _join_new_room(owner, seed_user, "Strict owner")
    owner_id = _lookup(app, owner_name, room_name)[0].id
    comeback = seed_user(display_name="Comeback")
    user_id, token, old_key = await held_pass(app, livekit, comeback, room_name)
    first = await TonePeer().connect(livekit.url, token, e2ee_key=old_key)
    gone = asyncio.Event()
    first.room.on("disconnected", lambda *_: gone.set())
    try:
        await expect(_tile(owner, "Comeback")).to_be_visible(timeout=20_000)
        await owner.get_by_role("button", name="Remove Comeback from the call").click()
        await asyncio.wait_for(gone.wait(), timeout=15)
    finally:
        await first.close()
    await expect(_member(owner, user_id)).to_have_count(0, timeout=15_000)

    elapsed, decoded, shown = await come_back(livekit, token, old_key, owner, user_id,
                                               owner_id)

    assert elapsed <= PUT_OUT_WITHIN_SECONDS, f"stayed in the call for {elapsed:.1f} s"
    assert shown == 0, "the lobby showed the removed user in the call again"
    assert decoded == 0, "the old key decoded the owner's voice"
    await expect(owner.get_by_text("Connected", exact=True)).to_be_visible()


async def test_log_out_everywhere_puts_every_device_out_and_moves_the_key_on(
        new_page, app, livekit, seed_user):
    owner, leaver = await new_page(), await new_page()
    owner_name, room_name = await _join_new_room(owner, seed_user, "Keeping owner")
    owner_id = _lookup(app, owner_name, room_name)[0].id
    leaver_name = await _join_room(leaver, seed_user, "Leaving everywhere", room_name)
    await expect(_tile(owner, "Leaving everywhere")).to_be_visible(timeout=20_000)
    # What another device of the same account holds: a token and key from before.
    user_id, token, old_key = await held_pass(app, livekit, leaver_name, room_name)

    await leaver.get_by_role("button", name="Account menu for Leaving everywhere").click()
    await leaver.get_by_role("menuitem", name="Log out everywhere").click()
    await expect(leaver).to_have_url(re.compile("/login/?$"))
    await expect(_tile(owner, "Leaving everywhere")).to_have_count(0, timeout=15_000)
    _, room = _lookup(app, owner_name, room_name)
    assert room.key_epoch == 1, "the call's key did not move on"

    elapsed, decoded, shown = await come_back(livekit, token, old_key, owner, user_id,
                                               owner_id)

    assert elapsed <= PUT_OUT_WITHIN_SECONDS, f"stayed in the call for {elapsed:.1f} s"
    assert shown == 0, "the lobby showed the signed-out user in the call again"
    assert decoded == 0, "the old key decoded the owner's voice"


async def test_a_tab_signed_out_elsewhere_leaves_within_the_heartbeat(new_page, seed_user):
    username = seed_user(display_name="Two devices")
    laptop, phone, friend = await new_page(), await new_page(), await new_page()
    _, room_name = await _join_new_room(friend, seed_user, "Friend watching")
    await log_in(laptop, username)
    await log_in(phone, username)  # the phone's tab: it is never reloaded below
    await phone.get_by_role("button", name=room_name, exact=True).click()
    await expect(phone.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    await expect(person(friend, "Two devices")).to_have_attribute("data-online", "true")

    await laptop.get_by_role("button", name="Account menu for Two devices").click()
    await laptop.get_by_role("menuitem", name="Log out everywhere").click()

    # The heartbeat runs every 15 s; its check sends the phone's tab to the login page.
    await expect(phone).to_have_url(re.compile("/login/?$"), timeout=40_000)
    await expect(phone.get_by_role("button", name="Log in")).to_be_visible()
    await expect(person(friend, "Two devices")).to_have_attribute("data-online", "false",
                                                                  timeout=15_000)
    await expect(friend.locator(f'[data-testid="room-item"][data-room="{room_name}"]')
                 .get_by_test_id("room-member").filter(has_text="Two devices")
                 ).to_have_count(0, timeout=15_000)
