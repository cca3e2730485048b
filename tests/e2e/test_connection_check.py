"""The connection check, before logging in: reached from the login page, it reports in
plain words what works against the suite's LiveKit (a dev server: UDP, no ICE over TCP, no
TURN) and says TURN is missing."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from distokoloshe import routes

pytestmark = pytest.mark.e2e

CHECK_SECONDS = 120  # four checks, each connecting anew; about half a minute on an idle machine


async def test_check_from_the_login_page_reports_what_works_and_that_turn_is_missing(new_page):
    page = await new_page()
    await page.goto(routes.LOGIN)
    await page.get_by_role("link", name="Check your connection").click()
    await expect(page).to_have_url(re.compile(f"{routes.CHECK}$"))
    await expect(page.get_by_role("heading", name="Connection check")).to_be_visible()

    await page.get_by_role("button", name="Run the check").click()
    await expect(page.get_by_text("The check is done.")).to_be_visible(
        timeout=CHECK_SECONDS * 1000)
    findings = page.get_by_test_id("check-finding")
    outcome = dict(await findings.evaluate_all(
        "(rows) => rows.map((row) => [row.dataset.check, row.dataset.status])"))
    assert outcome == {"websocket": "success", "webrtc": "success", "turn": "skipped",
                       "microphone": "success"}
    text = await page.get_by_role("list", name="What the check found").inner_text()
    assert "reaches the call server" in text
    assert "over UDP, the fastest way" in text
    assert "no TCP fallback" in text  # the dev server has ICE over TCP off
    assert "no TURN relay" in text and "operator" in text
    assert "microphone works" in text
    # The check's token is gone once it is done, and it can run again.
    await expect(page.get_by_role("button", name="Run the check")).to_be_enabled()
