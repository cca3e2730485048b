"""An invite-only server, end to end in real browsers: the operator's first-admin link makes
the admin, a stranger without an invite is refused, the admin makes an invite on the admin
page, a second browser registers with it, and its second use is refused.

The server is one backend of its own with REGISTRATION=invite (and its own database) on the
session app's origin: the app serves the pages, and the proxy sends these browsers'
websockets to this backend (as the scaled workers' tests do).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.async_api import expect

from distokoloshe import invites, registration
from tests.support.app import ROOT, BackendProcess
from tests.support.identities import PASSWORD, next_client_address
from tests.support.live_fixtures import ContextOpener
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def invite_only(tmp_path_factory, app, proxy, livekit):
    backend = BackendProcess(data_dir=tmp_path_factory.mktemp("invite-only"),
                             public_port=proxy.port, port=free_port(),
                             extra_env={**livekit.app_env(), "REGISTRATION": "invite"}).start()
    yield backend
    backend.stop()


@pytest.fixture
async def visitor(browser, app, proxy, invite_only):
    """Opens a page whose websocket goes to the invite-only server."""
    opener = ContextOpener(browser, app.public_url)

    async def open_page():
        address = next_client_address()
        proxy.route_events(address, invite_only.port)
        return await opener.page(address)

    yield open_page
    await opener.close()


def first_admin_link(server) -> str:
    """What the operator's `./tokoloshe first-admin` prints for this server."""
    printed = subprocess.run([sys.executable, "-m", "distokoloshe.first_admin",
                              server.public_url], cwd=ROOT, env=server.env, check=True,
                             capture_output=True, text=True, timeout=60).stdout
    [link] = re.findall(r"^(http\S+/register\?invite=\S+)$", printed, re.MULTILINE)
    return link


async def register(page, link: str, username: str, display_name: str) -> None:
    await page.goto(link)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Display name (optional)").fill(display_name)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()


async def test_an_invite_from_the_admin_page_registers_one_person(visitor, invite_only):
    operator, stranger, guest, latecomer = (await visitor(), await visitor(),
                                            await visitor(), await visitor())

    # Without an invite, the page says why, and so does the refusal.
    await stranger.goto("/register")
    await expect(stranger.get_by_test_id("registration-note")).to_have_text(
        registration.INVITE_ONLY)
    await register(stranger, "/register", "stranger", "Stranger")
    await expect(stranger.get_by_test_id("register-error")).to_have_text(
        registration.INVITE_ONLY)

    # The operator's first-admin link makes the admin, who finds the admin page.
    await register(operator, first_admin_link(invite_only), "operator", "Operator")
    await expect(operator.get_by_role("heading", name="Rooms")).to_be_visible()
    await operator.get_by_role("link", name="Server admin").click()
    await expect(operator.get_by_role("heading", name="Server admin")).to_be_visible()

    await operator.get_by_label("Uses").fill("1")
    await operator.get_by_label("Expires after").select_option(label="1 day")
    await operator.get_by_role("button", name="Create invite link").click()
    shown = operator.get_by_label("New invite link")
    await expect(shown).to_have_value(re.compile(r"/register\?invite=[\w-]{32}$"))
    link = await shown.input_value()
    assert link.startswith(invite_only.public_url)

    await register(guest, link, "guest", "Invited guest")
    await expect(guest.get_by_role("heading", name="Rooms")).to_be_visible()
    await expect(guest.get_by_role("link", name="Server admin")).to_have_count(0)

    await register(latecomer, link, "latecomer", "Latecomer")
    await expect(latecomer.get_by_test_id("register-error")).to_have_text(
        invites.INVALID_INVITE)

    # The admin sees who used it; the link itself is never shown again.
    await operator.get_by_role("button", name="Done").click()
    await operator.reload()
    row = operator.get_by_test_id("invite-row").filter(has_text="Invited guest")
    await expect(row).to_contain_text("1 of 1")
    await expect(row.get_by_test_id("invite-status")).to_have_text("used up")
    await expect(row).to_contain_text("by Operator")
    await expect(operator.get_by_test_id("invite-status").filter(has_text="first admin")
                 ).to_have_text("first admin, used up")
    await expect(operator.get_by_label("New invite link")).to_have_count(0)
    assert link.split("=")[1] not in await operator.content()
