"""The extensions the suite's app runs (tests/support/extensions.py): the guide's example
(docs/examples/waves.py), installed through an entry point, with its lobby panel, its live
count in a second browser, its page and its link in the menu; and the hooks, as a probe
extension hears them."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time

import pytest
from playwright.async_api import expect

from tests.support.extension_probe import LOG_NAME
from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e


def _count(page):
    return page.get_by_test_id("waves-count")


async def _welcomed(page, name: str) -> None:
    """Waits until the lobby's presence welcome (which carries the live fields) has arrived:
    until then the count shows the field's default."""
    await expect(page.get_by_test_id("person").filter(has_text=name)).to_have_attribute(
        "data-online", "true")


async def test_the_example_panel_counts_live_in_every_lobby_and_its_page_opens(new_page,
                                                                              seed_user):
    first, second = await new_page(), await new_page()
    await log_in(first, seed_user("Wave One"))
    await log_in(second, seed_user("Wave Two"))
    nav = first.get_by_role("navigation", name="Rooms and people")
    await expect(nav.get_by_role("heading", name="Waves")).to_be_visible()
    await _welcomed(second, "Wave Two")
    before = int((await _count(second).inner_text()).split()[0])

    await first.get_by_role("button", name="Wave", exact=True).click()
    await expect(first.get_by_role("status").filter(has_text="You waved, Wave One.")
                 ).to_be_visible()
    # the other browser's count moves without a reload
    await expect(_count(second)).to_have_text(f"{before + 1} waves so far")
    await second.get_by_role("button", name="Wave", exact=True).click()
    await expect(_count(first)).to_have_text(f"{before + 2} waves so far")

    # its page, from the user menu, signed in only
    await second.get_by_role("button", name="Account menu for Wave Two").click()
    await second.get_by_role("menuitem", name="About waves").click()
    await expect(second).to_have_url(re.compile(r"/waves$"))
    await expect(second.get_by_role("heading", name="About waves")).to_be_visible()
    await expect(second.get_by_test_id("waves-page-count")).to_have_text(
        f"So far: {before + 2}")
    await second.reload()  # opened directly, it still gets the live value
    await expect(second.get_by_test_id("waves-page-count")).to_have_text(
        f"So far: {before + 2}")

    stranger = await new_page()
    await stranger.goto("/waves")
    await expect(stranger).to_have_url(re.compile(r"/login$"))


async def test_waving_too_fast_is_refused_in_words_and_not_counted(new_page, seed_user):
    page = await new_page()
    await log_in(page, seed_user("Fast Waver"))
    button = page.get_by_role("button", name="Wave", exact=True)
    await _welcomed(page, "Fast Waver")
    start = int((await _count(page).inner_text()).split()[0])
    for n in range(1, 4):
        await button.click()
        await expect(_count(page)).to_have_text(f"{start + n} waves so far")
    await button.click()
    await expect(page.get_by_role("status").filter(has_text="Easy! Try again")).to_be_visible()
    await expect(_count(page)).to_have_text(f"{start + 3} waves so far")


def _heard(app, room_id: int | None = None, name: str = "") -> list[dict]:
    path = app.data_dir / LOG_NAME
    lines = path.read_text().splitlines() if path.exists() else []
    events = [json.loads(line) for line in lines]
    return [e for e in events if (name and e.get("name") == name)
            or (room_id is not None and e["room_id"] == room_id)]


async def _until(condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"extension hooks: never saw {what}")


async def test_extensions_hear_rooms_created_and_deleted_and_calls_joined_and_left(
        new_page, seed_user, app):
    page = await new_page()
    await log_in(page, seed_user("Hook Watcher"))
    room_name = "Hooks " + secrets.token_hex(3)
    await create_room(page, room_name)
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    created = (await _until(lambda: _heard(app, name=room_name), "the room created"))[0]
    assert created["hook"] == "room_created"
    room_id = created["room_id"]
    joined = await _until(lambda: [e for e in _heard(app, room_id) if e["hook"] == "call_joined"],
                          "the call joined")
    assert joined[0]["display_name"] == "Hook Watcher" and joined[0]["user_id"] > 0

    await page.get_by_role("button", name="Leave").click()
    await _until(lambda: [e for e in _heard(app, room_id) if e["hook"] == "call_left"],
                 "the call left")
    await page.get_by_role("button", name="Delete room").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await _until(lambda: [e for e in _heard(app, room_id) if e["hook"] == "room_deleted"],
                 "the room deleted")
