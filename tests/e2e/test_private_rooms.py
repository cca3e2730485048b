"""Private rooms: someone who is not a member never sees one, not even in the frames their
lobby receives; being let in makes it appear live, and being taken off puts them out of its
call and moves its key on."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.test_calls import _join_new_room, _lookup, _tile
from tests.e2e.test_presence import person
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e


def _room_button(page, room_name: str):
    return page.get_by_role("button", name=room_name, exact=True)


async def _set_member(owner, name: str, member: bool) -> None:
    await owner.get_by_role("button", name="Members").click()
    box = owner.get_by_test_id("member-choice").filter(has_text=name).get_by_role("checkbox")
    await expect(box).to_be_visible()
    # The box shows what the server saved, so it changes once the round trip is done.
    await box.click()
    await expect(box).to_have_attribute("aria-checked", "true" if member else "false")
    await owner.keyboard.press("Escape")


async def test_a_private_room_is_hidden_from_outsiders_until_they_are_let_in(
        new_page, app, seed_user):
    owner = await new_page()
    owner_name, room_name = await _join_new_room(owner, seed_user, "Private owner")
    await owner.get_by_role("switch").click()
    await expect(owner.get_by_role("switch")).to_be_checked()
    _, room = _lookup(app, owner_name, room_name)
    assert room.private and room.key_epoch == 1

    outsider = await new_page()
    frames: list[str] = []
    outsider.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(str(payload))))
    await log_in(outsider, seed_user(display_name="Outside guest"))
    # The owner shows online once the hub's copy of presence, rooms included, has arrived.
    await expect(person(outsider, "Private owner")).to_have_attribute("data-online", "true")
    await expect(_room_button(outsider, room_name)).to_have_count(0)
    assert frames, "no websocket frames were recorded"
    assert not [f for f in frames if room_name in f], "the private room's name reached them"

    # Let in: it appears in their lobby without a reload, and they can join its call.
    await _set_member(owner, "Outside guest", True)
    await expect(_room_button(outsider, room_name)).to_be_visible(timeout=15_000)
    await _room_button(outsider, room_name).click()
    await expect(outsider.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    await expect(_tile(owner, "Outside guest")).to_be_visible(timeout=20_000)

    # Taken off: out of the call, the room gone from their list, and the key moved on.
    await _set_member(owner, "Outside guest", False)
    await expect(_tile(owner, "Outside guest")).to_have_count(0, timeout=15_000)
    await expect(_room_button(outsider, room_name)).to_have_count(0, timeout=15_000)
    await expect(outsider.get_by_text("Connected", exact=True)).to_have_count(0,
                                                                             timeout=15_000)
    _, room = _lookup(app, owner_name, room_name)
    assert room.key_epoch == 2
    await expect(owner.get_by_text("Connected", exact=True)).to_be_visible()
