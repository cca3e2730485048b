"""Live presence on one backend worker: who is online, who is in which call, which rooms exist."""

from __future__ import annotations

import dataclasses
import secrets
import time

import pytest
from livekit import api
from playwright.async_api import Page, expect

from distokoloshe.livekit_tokens import livekit_room_name
from distokoloshe.realtime.socket_writes import UNREACHABLE
from tests.e2e.test_calls import _lookup
from tests.support.live_fixtures import create_room, log_in
from tests.support.peer import TonePeer

pytestmark = pytest.mark.e2e


def room_members(page, room_name: str):
    return page.locator(f'[data-testid="room-item"][data-room="{room_name}"]').get_by_test_id(
        "room-member")


def person(page, name: str):
    return page.get_by_test_id("person").filter(has_text=name)


@dataclasses.dataclass
class Someone:
    page: Page
    username: str
    display_name: str


async def _three_people(new_page, seed_user) -> list[Someone]:
    people = []
    for first_name in ("Ayanda", "Bongani", "Cebo"):
        display_name = f"{first_name} {secrets.token_hex(2)}"
        username = seed_user(display_name=display_name)
        page = await new_page()
        await log_in(page, username)
        people.append(Someone(page, username, display_name))
    return people


async def test_others_see_a_join_within_a_second_and_a_closed_tab_go_offline(new_page, app,
                                                                            seed_user):
    a, b, c = await _three_people(new_page, seed_user)
    for viewer in (a, b, c):
        for someone in (a, b, c):
            await expect(person(viewer.page, someone.display_name)).to_have_attribute(
                "data-online", "true")

    room_name = "Presence " + secrets.token_hex(3)
    await create_room(a.page, room_name)
    await expect(a.page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    connected_at = time.monotonic()
    for viewer in (b.page, c.page):
        await expect(room_members(viewer, room_name).filter(has_text=a.display_name)
                     ).to_be_visible(timeout=1_000)
    assert time.monotonic() - connected_at < 1.0
    # ...written straight to each websocket, as the presence benchmark measured it
    assert UNREACHABLE not in app.log_path.read_text(errors="replace")

    await a.page.context.close()  # the tab (and its only connection) goes away
    for viewer in (b.page, c.page):
        await expect(person(viewer, a.display_name)).to_have_attribute(
            "data-online", "false", timeout=10_000)
        # LiveKit notices the dropped call too (its webhook says so) and the room empties
        await expect(room_members(viewer, room_name)).to_have_count(0, timeout=40_000)


async def test_a_room_one_user_creates_appears_for_another_and_goes_when_deleted(new_page,
                                                                                 seed_user):
    b, c = (someone.page for someone in (await _three_people(new_page, seed_user))[1:])
    room_name = "Live " + secrets.token_hex(3)
    await create_room(b, room_name)
    await expect(c.get_by_role("button", name=room_name, exact=True)).to_be_visible(timeout=2_000)

    await b.get_by_role("button", name="Delete room").click()
    await b.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await expect(c.get_by_role("button", name=room_name, exact=True)).to_have_count(
        0, timeout=2_000)


async def test_a_participant_outside_the_app_appears_in_everyones_presence(new_page, app,
                                                                          livekit, seed_user):
    a, b = (await _three_people(new_page, seed_user))[:2]
    room_name = "Outside " + secrets.token_hex(3)
    await create_room(a.page, room_name)
    await expect(a.page.get_by_role("button", name=room_name, exact=True)).to_be_visible(
        timeout=20_000)  # created (the click only sends the event)
    _, room = _lookup(app, a.username, room_name)
    token = (api.AccessToken(livekit.api_key, livekit.api_secret)
             .with_identity("outside-" + secrets.token_hex(3)).with_name("Outside peer")
             .with_grants(api.VideoGrants(room_join=True, room=livekit_room_name(room.id)))
             .to_jwt())
    peer = await TonePeer().connect(livekit.url, token)
    try:
        for viewer in (a.page, b.page):
            await expect(room_members(viewer, room_name).filter(has_text="Outside peer")
                         ).to_be_visible(timeout=5_000)
    finally:
        await peer.close()
    for viewer in (a.page, b.page):
        await expect(room_members(viewer, room_name).filter(has_text="Outside peer")
                     ).to_have_count(0, timeout=10_000)


async def test_a_fourth_tab_of_one_user_is_refused_with_a_clear_message(new_page, seed_user):
    username = seed_user(display_name="Many tabs")
    first = await new_page()
    await log_in(first, username)
    await expect(person(first, "Many tabs")).to_be_visible(timeout=20_000)
    tabs = [first] + [await first.context.new_page() for _ in range(3)]
    for tab in tabs[1:]:
        await tab.goto("/")
        if tab is not tabs[3]:
            # Subscribed (its own copy of the people list came) before the next tab opens,
            # so which tab is the fourth does not depend on how fast each one loads.
            await expect(person(tab, "Many tabs")).to_be_visible(timeout=20_000)
    await expect(tabs[3].get_by_test_id("over-capacity")).to_contain_text(
        "You already have 3 tabs open")
    for tab in tabs[:3]:
        await expect(tab.get_by_test_id("over-capacity")).to_have_count(0)

    await tabs[0].close()
    await tabs[3].get_by_role("button", name="Try again").click()
    await expect(tabs[3].get_by_test_id("over-capacity")).to_have_count(0, timeout=5_000)
    await expect(tabs[3].get_by_role("heading", name="Rooms")).to_be_visible()
