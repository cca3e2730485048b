"""The guide's example extension (docs/examples/waves.py), installed through an entry point
and enabled in the suite's app (tests/support/extensions.py): its lobby panel, its live
count in a second browser, its page and its link in the menu."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e


def _count(page):
    return page.get_by_test_id("waves-count")


async def test_the_example_panel_counts_live_in_every_lobby_and_its_page_opens(new_page,
                                                                              seed_user):
    first, second = await new_page(), await new_page()
    await log_in(first, seed_user("Wave One"))
    await log_in(second, seed_user("Wave Two"))
    nav = first.get_by_role("navigation", name="Rooms and people")
    await expect(nav.get_by_role("heading", name="Waves")).to_be_visible()
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
    await expect(_count(page)).to_contain_text("waves so far")
    for _ in range(3):
        await button.click()
        await expect(page.get_by_role("status").filter(has_text="You waved")).to_be_visible()
    before = await _count(page).inner_text()
    await button.click()
    await expect(page.get_by_role("status").filter(has_text="Easy! Try again")).to_be_visible()
    await expect(_count(page)).to_have_text(before)
