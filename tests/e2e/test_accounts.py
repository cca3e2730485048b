"""Registering, logging in and out, staying logged in, and what bad input gets."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.async_api import expect
from sqlmodel import Session, select

from distokoloshe.db import make_engine
from distokoloshe.models import User
from tests.support.identities import PASSWORD
from tests.support.live_fixtures import log_in, log_in_with_form

pytestmark = pytest.mark.e2e


def _users_named(app, username: str) -> list[User]:
    engine = make_engine(app.database_url)
    with Session(engine) as session:
        rows = session.exec(select(User).where(User.username_key == username.casefold())).all()
    engine.dispose()
    return rows


async def _fill_registration(page, username, password, confirm=None, display_name=""):
    await page.goto("/register")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Display name (optional)").fill(display_name)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_label("Confirm password").fill(password if confirm is None else confirm)
    await page.get_by_role("button", name="Create account").click()


async def test_register_log_out_log_in_and_stay_logged_in(new_page, app):
    page = await new_page()
    username = "reg_" + secrets.token_hex(3)
    await _fill_registration(page, username, "pässwörd ☂ long enough", display_name="Nomsa")
    await expect(page.get_by_role("button", name="Account menu for Nomsa")).to_be_visible()
    assert page.url.rstrip("/") == app.public_url

    await page.reload()
    await expect(page.get_by_role("button", name="Account menu for Nomsa")).to_be_visible()

    await page.get_by_role("button", name="Account menu for Nomsa").click()
    await page.get_by_role("menuitem", name="Log out", exact=True).click()
    await expect(page).to_have_url(re.compile("/login/?$"))
    await page.goto("/")  # signed-out visitors are sent back to the login page
    await expect(page).to_have_url(re.compile("/login/?$"))

    await log_in(page, username.upper(), "pässwörd ☂ long enough")  # usernames ignore case
    await expect(page.get_by_role("button", name="Account menu for Nomsa")).to_be_visible()


@pytest.mark.parametrize(
    ("username", "password", "confirm", "display_name", "message"),
    [
        ("ab", PASSWORD, None, "", "Username must be 3–32 characters"),
        ("<script>x", PASSWORD, None, "", "Username must be 3–32 characters"),
        ("has space", PASSWORD, None, "", "Username must be 3–32 characters"),
        ("short_pw_{}", "1234567", None, "", "Password must be 8–128 characters"),
        ("mismatch_{}", PASSWORD, PASSWORD + "!", "", "The two passwords do not match."),
        ("bidi_name_{}", PASSWORD, None, "evil\u202etxt.exe", "characters that are not allowed"),
        ("ctrl_name_{}", PASSWORD, None, "bell\x07", "characters that are not allowed"),
    ],
)
async def test_registration_refuses_bad_input_and_stores_nothing(
    new_page, app, username, password, confirm, display_name, message
):
    page = await new_page()
    username = username.replace("{}", secrets.token_hex(2))
    await _fill_registration(page, username, password, confirm, display_name)
    await expect(page.get_by_test_id("register-error")).to_contain_text(message)
    await expect(page).to_have_url(re.compile("/register/?$"))
    assert _users_named(app, username) == []


async def test_username_is_unique_ignoring_case(new_page, app, seed_user):
    taken = seed_user(username="Thandi_" + secrets.token_hex(2))
    page = await new_page()
    await _fill_registration(page, taken.lower(), PASSWORD)
    await expect(page.get_by_test_id("register-error")).to_have_text("That username is taken.")
    assert len(_users_named(app, taken)) == 1


async def test_names_render_as_text_not_markup(new_page, seed_user):
    hostile = '<img src=x onerror=alert(1)>'
    username = seed_user(display_name=hostile)
    page = await new_page()
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog))
    await log_in(page, username)
    await expect(page.get_by_role("button", name="Account menu for " + hostile)).to_be_visible()
    assert await page.locator("img[src='x']").count() == 0
    assert dialogs == []


async def test_wrong_password_and_unknown_user_get_the_same_message(new_page, seed_user):
    username = seed_user()
    page = await new_page()
    messages = []
    for attempt_username, attempt_password in ((username, "not the password"),
                                               ("nobody_" + secrets.token_hex(3), PASSWORD)):
        await page.goto("/login")
        await page.get_by_label("Username").fill(attempt_username)
        await page.get_by_label("Password").fill(attempt_password)
        await page.get_by_role("button", name="Log in").click()
        error = page.get_by_test_id("login-error")
        await expect(error).to_be_visible()
        messages.append(await error.inner_text())
    assert messages[0] == messages[1] == "Wrong username or password."


async def test_login_is_refused_after_twenty_attempts_with_a_retry_time(new_page, seed_user):
    username = seed_user()
    page = await new_page()
    await page.goto("/login")
    await page.get_by_label("Username").fill(username)
    error = page.get_by_test_id("login-error")
    button = page.get_by_role("button", name="Log in")
    await page.get_by_label("Password").fill("wrong password")
    for _ in range(20):
        # Reflex runs one tab's events in order, so every click is one attempt.
        await expect(button).to_be_enabled()
        await button.click()
    await expect(error).to_have_text("Wrong username or password.", timeout=30_000)
    # The right password is refused too while the limit holds.
    await page.get_by_label("Password").fill(PASSWORD)
    await button.click()
    await expect(error).to_contain_text("Too many login attempts", timeout=30_000)
    await expect(error).to_contain_text("Try again in 15 minutes")

    # Another client address is not affected.
    other = await new_page()
    await log_in_with_form(other, username)


async def test_registration_is_limited_to_five_per_hour(new_page):
    page = await new_page()
    for _ in range(5):
        await _fill_registration(page, "rl_" + secrets.token_hex(4), PASSWORD)
        await page.get_by_role("button", name=re.compile("^Account menu")).click()
        await page.get_by_role("menuitem", name="Log out", exact=True).click()
        await expect(page).to_have_url(re.compile("/login/?$"))
    await _fill_registration(page, "rl_" + secrets.token_hex(4), PASSWORD)
    await expect(page.get_by_test_id("register-error")).to_contain_text(
        "Too many registration attempts")
    await expect(page.get_by_test_id("register-error")).to_contain_text("minutes")


async def test_log_out_everywhere_ends_other_sessions(new_page, seed_user):
    username = seed_user(display_name="Sipho")
    laptop, phone = await new_page(), await new_page()
    await log_in(laptop, username)
    await log_in(phone, username)
    await laptop.get_by_role("button", name="Account menu for Sipho").click()
    await laptop.get_by_role("menuitem", name="Log out everywhere").click()
    await expect(laptop).to_have_url(re.compile("/login/?$"))
    await phone.reload()
    await expect(phone.get_by_role("button", name="Log in")).to_be_visible()


async def test_changing_the_password_keeps_this_tab_and_signs_out_the_others(new_page,
                                                                            seed_user):
    username, new_password = seed_user(display_name="Thandi"), "a fresh long passphrase 7"
    laptop, phone = await new_page(), await new_page()
    await log_in(laptop, username)
    await log_in(phone, username)

    await laptop.get_by_role("button", name="Account menu for Thandi").click()
    await laptop.get_by_role("menuitem", name="Change password").click()
    dialog = laptop.get_by_role("dialog", name="Change password")
    await dialog.get_by_label("Current password").fill(PASSWORD)
    await dialog.get_by_label("New password", exact=True).fill(new_password)
    await dialog.get_by_label("Confirm new password").fill(new_password)
    await dialog.get_by_role("button", name="Change password").click()
    await expect(laptop.get_by_test_id("password-notice")).to_contain_text("Password changed")

    await laptop.reload()  # this tab keeps its (renewed) session
    await expect(laptop.get_by_role("heading", name="Rooms")).to_be_visible()
    # The other tab is sent to the login page at once (the presence hub rechecks sessions).
    await expect(phone).to_have_url(re.compile("/login/?$"), timeout=40_000)
    await phone.get_by_label("Username").fill(username)
    await phone.get_by_label("Password").fill(PASSWORD)
    await phone.get_by_role("button", name="Log in").click()
    await expect(phone.get_by_test_id("login-error")).to_have_text("Wrong username or password.")
    await log_in(phone, username, new_password)
