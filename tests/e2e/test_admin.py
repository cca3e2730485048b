"""The admin page, in the real app with real browsers and LiveKit: an admin disables someone
who is in a call, and that person is out at once while the others carry on."""

from __future__ import annotations

import re
import time

import pytest
from playwright.async_api import expect
from sqlmodel import Session, select

from distokoloshe import e2ee
from distokoloshe.db import make_engine
from distokoloshe.models import User
from tests.e2e.test_calls import (
    _join_new_room,
    _join_room,
    _python_peer,
    _tile,
    _wait_until_heard,
)
from tests.support.held_passes import app_settings, come_back, held_pass, lookup
from tests.support.identities import PASSWORD
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

PUT_OUT_WITHIN_SECONDS = 5.0


def make_admin(app, username: str) -> None:
    engine = make_engine(app.database_url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.is_admin = True
        session.add(user)
        session.commit()
    engine.dispose()


async def open_admin_page(page, username: str) -> None:
    await log_in(page, username)
    await page.get_by_role("link", name="Server admin").click()
    await expect(page.get_by_role("heading", name="Server admin")).to_be_visible()


async def test_disabling_someone_in_a_call_puts_them_out_and_the_others_carry_on(
        new_page, app, livekit, seed_user):
    owner, target, operator = await new_page(), await new_page(), await new_page()
    owner_name, room_name = await _join_new_room(owner, seed_user, "Calm owner")
    owner_id = lookup(app, owner_name, room_name)[0].id
    target_name = await _join_room(target, seed_user, "Troublemaker", room_name)
    await expect(_tile(owner, "Troublemaker")).to_be_visible(timeout=20_000)
    peer, _peer_id = await _python_peer(app, livekit, seed_user, room_name)
    # What the troublemaker's device holds: its token and the room's key from before.
    target_id, token, old_key = await held_pass(app, livekit, target_name, room_name)
    admin_name = seed_user(display_name="Server operator")
    make_admin(app, admin_name)
    try:
        await peer.publish_tone()
        await expect(_tile(owner, "Python peer")).to_be_visible(timeout=15_000)
        row = operator.locator(f'[data-testid="account-row"][data-username="{target_name}"]')
        await open_admin_page(operator, admin_name)
        await expect(row).to_contain_text("Troublemaker")

        await operator.get_by_role("button", name="Disable Troublemaker").click()
        clicked = time.monotonic()

        await expect(target).to_have_url(re.compile("/login/?$"),
                                         timeout=PUT_OUT_WITHIN_SECONDS * 1000)
        await expect(_tile(owner, "Troublemaker")).to_have_count(
            0, timeout=max(1, PUT_OUT_WITHIN_SECONDS - (time.monotonic() - clicked)) * 1000)
        assert time.monotonic() - clicked <= PUT_OUT_WITHIN_SECONDS + 0.5
        await expect(row.get_by_test_id("account-status")).to_have_text("disabled")

        # The others keep hearing each other, on the room's new key (the peer fetches it as
        # the app's own participants do when LiveKit announces it).
        _, room = lookup(app, owner_name, room_name)
        assert room.key_epoch == 1, "the call's key did not move on"
        settings = app_settings(livekit, app)
        peer.set_room_key(e2ee.current_room_key(room, settings=settings),
                          e2ee.key_index(room.key_epoch))
        assert await _wait_until_heard(owner, "Python peer") > 0.02
        assert await peer.wait_for_sound(str(owner_id)) > 0.02, "the peer no longer hears"

        # The old token and key: put out again at once, decoding nothing new.
        elapsed, decoded, shown = await come_back(livekit, token, old_key, owner, target_id,
                                                  owner_id)
        assert elapsed <= 2.0, f"stayed in the call for {elapsed:.1f} s"
        assert shown == 0, "the lobby showed the disabled user in the call again"
        assert decoded == 0, "the old key decoded the owner's voice"

        # And the account cannot sign in until an admin enables it again.
        await target.get_by_label("Username").fill(target_name)
        await target.get_by_label("Password").fill(PASSWORD)
        await target.get_by_role("button", name="Log in").click()
        await expect(target.get_by_test_id("login-error")).to_have_text(
            "An admin of this server has disabled this account.")
    finally:
        await peer.close()
