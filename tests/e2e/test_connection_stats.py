"""Connection statistics from a real call: the own tile's signal button shows the round trip
to the server, the codec, the bitrate and the route; a remote tile's shows what this
browser receives of that participant."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.test_calls import _join_new_room, _python_peer, _tile

pytestmark = pytest.mark.e2e

MEASURED_MS = re.compile(r"^\d+(\.\d+)? ms$")


async def test_own_and_remote_statistics_show_codec_round_trip_and_route(new_page, app,
                                                                          livekit, seed_user):
    page = await new_page()
    _, room_name = await _join_new_room(page, seed_user, "Measured")
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        await peer.publish_tone()
        await expect(_tile(page, "Python peer")).to_be_visible(timeout=15_000)

        await page.get_by_role("button", name=re.compile(r"^Connection statistics for Measured"))\
            .click()
        panel = page.get_by_test_id("connection-stats")
        await expect(panel.get_by_test_id("stats-audio-codec")).to_have_text("OPUS",
                                                                             timeout=15_000)
        await expect(panel.get_by_test_id("stats-rtt")).to_have_text(MEASURED_MS,
                                                                     timeout=15_000)
        await expect(panel.get_by_test_id("stats-route")).to_have_text("Direct (UDP)")
        await expect(panel.get_by_test_id("stats-bitrate")).to_have_text(
            re.compile(r"^\d+ kbit/s$"))
        await page.keyboard.press("Escape")
        await expect(panel).to_have_count(0)

        await page.get_by_role("button",
                               name=re.compile(r"^Connection statistics for Python peer")).click()
        await expect(panel.get_by_test_id("stats-audio-codec")).to_have_text("OPUS",
                                                                             timeout=15_000)
        await expect(panel.get_by_test_id("stats-jitter")).to_have_text(MEASURED_MS)
        await expect(panel.get_by_test_id("stats-loss-in")).to_have_text(
            re.compile(r"^\d+(\.\d+)? %$"))
        await expect(panel.get_by_test_id("stats-loss-out")).to_have_count(0)
    finally:
        await peer.close()
