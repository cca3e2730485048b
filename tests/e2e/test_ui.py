"""Theme, keyboard use, labels and names, and phone widths."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.async_api import expect

from tests.support.identities import PASSWORD
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

UNNAMED_CONTROLS = """() => {
  const name = (el) => (el.getAttribute('aria-label') || el.innerText || el.title || '').trim();
  const unnamedButtons = [...document.querySelectorAll('button, [role=button]')]
    .filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 120));
  const unlabelledInputs = [
    ...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    // a drop zone's hidden file input: the zone around it is the named control
    .filter((el) => !(el.type === 'file' && el.tabIndex === -1 && el.parentElement
                      && name(el.parentElement)))
    .map((el) => el.outerHTML.slice(0, 120));
  return {unnamedButtons, unlabelledInputs};
}"""


async def test_theme_follows_the_system_and_the_toggle_persists(new_page, seed_user):
    page = await new_page(color_scheme="dark")
    await page.goto("/login")
    html = page.locator("html")
    await expect(html).to_have_class(re.compile(r"\bdark\b"))
    await page.get_by_role("button", name="Switch to light theme").click()
    await expect(html).to_have_class(re.compile(r"\blight\b"))
    await page.reload()
    await expect(html).to_have_class(re.compile(r"\blight\b"))
    await expect(page.get_by_role("button", name="Switch to dark theme")).to_be_visible()


@pytest.mark.parametrize("path", ["/login", "/register", "/"])
async def test_every_control_has_a_label_or_name(new_page, seed_user, path):
    page = await new_page()
    if path == "/":
        await log_in(page, seed_user())
        await page.get_by_label("New room").fill("Named " + secrets.token_hex(2))
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("button", name="Delete room")).to_be_visible()
    else:
        await page.goto(path)
        await expect(page.get_by_role("button").last).to_be_visible()
    report = await page.evaluate(UNNAMED_CONTROLS)
    assert report == {"unnamedButtons": [], "unlabelledInputs": []}


FOCUSED_NAME = "document.activeElement && document.activeElement.name"


async def test_log_in_and_create_a_room_with_the_keyboard_only(new_page, seed_user):
    username = seed_user(display_name="Keys")
    page = await new_page()
    await page.goto("/login")
    await expect(page.get_by_label("Username")).to_be_visible()
    for _ in range(10):  # Tab from the top of the page to the username field
        await page.keyboard.press("Tab")
        if await page.evaluate(FOCUSED_NAME) == "username":
            break
    else:
        pytest.fail("the username field is not reachable with Tab")
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Account menu for Keys")).to_be_visible()

    name = "Keyboard " + secrets.token_hex(2)
    for _ in range(300):  # the suite's other tests leave many rooms in the list
        await page.keyboard.press("Tab")
        if await page.evaluate(FOCUSED_NAME) == "room_name":
            break
    else:
        pytest.fail("the new-room field is not reachable with Tab")
    await page.keyboard.type(name)
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(name)

    focused_outline = await page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle")
    assert focused_outline != "none"


async def test_lobby_fits_a_phone_screen(new_page, seed_user):
    page = await new_page(width=390, height=844)
    await log_in(page, seed_user(display_name="Phone"))
    await page.get_by_label("New room").fill("Pocket " + secrets.token_hex(2))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Delete room")).to_be_visible()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    rooms = await page.get_by_role("navigation", name="Rooms").bounding_box()
    main = await page.get_by_role("main").bounding_box()
    assert main["y"] >= rooms["y"] + rooms["height"] - 1  # stacked, not side by side
