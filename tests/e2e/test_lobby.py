"""Rooms in the lobby: create, see from another account, delete, and land in the last room."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.async_api import expect
from sqlmodel import Session, select

from distokoloshe import rooms
from distokoloshe.db import make_engine
from distokoloshe.models import User
from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e


def _room_name() -> str:
    return "Room " + secrets.token_hex(3)


async def test_created_room_is_trimmed_selected_and_seen_by_another_user(new_page, seed_user):
    owner = await new_page()
    await log_in(owner, seed_user(display_name="Owner"))
    name = _room_name()
    await create_room(owner, f"   {name}   ")
    await expect(owner.get_by_test_id("selected-room-name")).to_have_text(name)
    await expect(owner.get_by_role("button", name=name, exact=True)).to_have_attribute(
        "aria-current", "true")

    other = await new_page()
    await log_in(other, seed_user())
    await expect(other.get_by_role("button", name=name, exact=True)).to_be_visible()


async def test_room_names_are_unique_ignoring_case_and_validated(new_page, seed_user):
    page = await new_page()
    await log_in(page, seed_user())
    name = _room_name()
    await create_room(page, name)
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(name)

    await create_room(page, name.upper())
    await expect(page.get_by_test_id("create-room-error")).to_have_text(
        f"A room named “{name.upper()}” already exists.")
    await create_room(page, "bad\u202ename")
    await expect(page.get_by_test_id("create-room-error")).to_contain_text("not allowed")
    await expect(page.get_by_role("button", name=re.compile("^bad"))).to_have_count(0)


async def test_owner_deletes_a_room_and_others_cannot(new_page, seed_user):
    owner = await new_page()
    await log_in(owner, seed_user())
    name = _room_name()
    await create_room(owner, name)

    other = await new_page()
    await log_in(other, seed_user())
    await other.get_by_role("button", name=name, exact=True).click()
    await expect(other.get_by_test_id("selected-room-name")).to_have_text(name)
    await expect(other.get_by_role("button", name="Delete room")).to_have_count(0)

    await owner.get_by_role("button", name="Delete room").click()
    await owner.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await expect(owner.get_by_role("button", name=name, exact=True)).to_have_count(0)
    await expect(owner.get_by_test_id("selected-room-name")).to_have_count(0)

    await other.reload()
    await expect(other.get_by_role("heading", name="Rooms")).to_be_visible()
    await expect(other.get_by_role("button", name=name, exact=True)).to_have_count(0)


async def test_after_login_you_land_in_your_last_room_if_it_still_exists(new_page, seed_user):
    username = seed_user()
    page = await new_page()
    await log_in(page, username)
    first, second = _room_name(), _room_name()
    for name in (first, second):
        await create_room(page, name)
        await expect(page.get_by_test_id("selected-room-name")).to_have_text(name)
    await page.get_by_role("button", name=first, exact=True).click()
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(first)

    fresh = await new_page()  # another browser: the last room follows the account
    await log_in(fresh, username)
    await expect(fresh.get_by_test_id("selected-room-name")).to_have_text(first)

    await fresh.get_by_role("button", name="Delete room").click()
    await fresh.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    await expect(fresh.get_by_role("button", name=first, exact=True)).to_have_count(0)

    again = await new_page()
    await log_in(again, username)
    await expect(again.get_by_role("button", name=second, exact=True)).to_be_visible()
    await expect(again.get_by_test_id("selected-room-name")).to_have_count(0)


async def test_a_room_far_down_a_long_list_opens_its_call_in_view(new_page, app, seed_user):
    owner_name = seed_user(display_name="Busy server")
    # Three shelf-fillers own the first 59 (MAX_ROOMS_PER_USER is 20 each).
    fillers = [seed_user(display_name=f"Filler {n}") for n in range(3)]
    engine = make_engine(app.database_url)
    with Session(engine) as session:
        tag = secrets.token_hex(2)
        for n in range(59):
            filler = session.exec(select(User).where(User.username == fillers[n // 20])).one()
            rooms.create_room(session=session, user=filler, name=f"Aisle {tag} {n:02d}")
        session.commit()
    engine.dispose()
    # The sixtieth comes through the app, which announces the whole list to every lobby.
    creator = await new_page()
    await log_in(creator, owner_name)
    await create_room(creator, f"Aisle {tag} 59")
    page = await new_page()
    await log_in(page, seed_user(display_name="Late picker"))
    last = page.get_by_role("button", name=f"Aisle {tag} 59", exact=True)
    await last.click()

    # The room list scrolled on its own; the call (whose video plays only while it is in
    # view) is on screen without scrolling back up.
    await expect(page.get_by_text("Connected", exact=True)).to_be_in_viewport(timeout=20_000)
    await expect(page.get_by_test_id("participant-tile").filter(has_text="Busy server")
                 ).to_be_in_viewport()
    await expect(last).to_be_in_viewport()
    assert await page.evaluate("window.scrollY") == 0


async def test_a_room_added_to_the_database_outside_the_app_appears_in_open_lobbies(
        new_page, app, seed_user):
    page = await new_page()
    owner_name = seed_user(display_name="Restorer")
    await log_in(page, owner_name)
    name = _room_name()
    engine = make_engine(app.database_url)
    with Session(engine) as session:  # as a restored backup or an admin script would
        owner = session.exec(select(User).where(User.username == owner_name)).one()
        rooms.create_room(session=session, user=owner, name=name)
        session.commit()
    engine.dispose()
    # The backend re-reads the room list every heartbeat (15 s).
    await expect(page.get_by_role("button", name=name, exact=True)).to_be_visible(timeout=25_000)
