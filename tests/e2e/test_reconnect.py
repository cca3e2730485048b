"""Nobody is logged out by a dropped websocket or a restarted backend.

Reflex issue #6345: when a browser reconnects before the backend has noticed the old
socket close (about 800 ms behind a proxy), Reflex treats the tab as a duplicate and
hands it a fresh client token, which discards the tab's server-side state. Sessions
here are re-derived from the signed token in localStorage, so that loses nothing.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import expect

from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e

CLIENT_TOKEN = "() => window.sessionStorage.getItem('token')"


async def test_reconnect_before_the_backend_sees_the_drop_keeps_you_logged_in(
    new_page, seed_user, proxy
):
    page = await new_page()
    await log_in(page, seed_user(display_name="Lindiwe"))
    token_before = await page.evaluate(CLIENT_TOKEN)

    # The browser's socket dies now; the backend's end stays open for 2 more seconds.
    assert proxy.cut_clients() >= 1
    await expect(page.get_by_role("button", name="Account menu for Lindiwe")).to_be_visible()
    await page.wait_for_function(f"({CLIENT_TOKEN})() !== {token_before!r}", timeout=15_000)

    # Still signed in, and privileged actions still work.
    name = "After blip " + secrets.token_hex(2)
    await create_room(page, name)
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(name)
    await page.reload()
    await expect(page.get_by_role("button", name="Account menu for Lindiwe")).to_be_visible()


async def test_backend_restart_keeps_you_logged_in(new_page, seed_user, app):
    page = await new_page()
    await log_in(page, seed_user(display_name="Bongani"))
    name = "Before restart " + secrets.token_hex(2)
    await create_room(page, name)
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(name)

    app.restart()

    after = "After restart " + secrets.token_hex(2)
    await create_room(page, after)  # the page reconnects by itself; no reload
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(after, timeout=30_000)
    await expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("button", name="Account menu for Bongani")).to_be_visible()
