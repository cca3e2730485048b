"""The voice gate ("input sensitivity"): below the threshold the peer hears silence, the
bursts above it arrive whole, the track stays published, "Transmitting" follows the gate,
and the settings follow the account. The fake microphone plays tone bursts between quiet
noise; a real Python LiveKit peer measures what arrives."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import expect

from tests.e2e.test_calls import _join_new_room, _lookup, _python_peer
from tests.support.fake_mic import bursts_wav, fake_mic_pages, heard, median_dbfs, quiet_share
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

NOISE_RMS = 0.015  # about -36 dBFS; the bursts are about -13 dBFS
THRESHOLD_DB = -25
SILENT_DBFS = -60
# Half-second bursts every 2.5 s: every window of n cycles holds n whole bursts (50 frames
# each), and the gate's hold after a burst (0.3 s, then its release) leaves most of each gap
# silent.
BURST_S, GAP_S = 0.5, 2.0


@pytest.fixture
async def open_gate_page(tmp_path, app):
    wav = bursts_wav(tmp_path / "bursts.wav", noise_rms=NOISE_RMS, burst_seconds=BURST_S,
                     gap_seconds=GAP_S, cycles=4)
    async with fake_mic_pages(wav, app.public_url) as open_page:
        yield open_page


async def open_settings(page) -> None:
    await page.get_by_role("button", name="Audio and video settings").click()


async def switch_off(page, label: str) -> None:
    switch = page.get_by_label(label, exact=True)
    if await switch.get_attribute("aria-checked") == "true":
        await switch.click()
    await expect(switch).to_have_attribute("aria-checked", "false")


async def listen(peer, identity: str, seconds: float, page=None) -> tuple[list, list, set, set]:
    """What the peer heard for `seconds`, whether the track was ever missing or muted at the
    peer meanwhile ({False}: published and unmuted throughout), and with `page`, whether
    the page showed Transmitting."""
    since, seen, muted = time.monotonic(), set(), set()
    while time.monotonic() - since < seconds:
        if page is not None:
            seen.add(await page.get_by_test_id("transmitting").count() > 0)
        participant = peer.room.remote_participants.get(identity)
        publications = list(participant.track_publications.values()) if participant else []
        muted.add(not publications or any(p.muted for p in publications))
        await asyncio.sleep(0.1)
    tone, rest = heard(peer, identity, since)
    return tone, rest, seen, muted


async def meter_levels(meter, *, loud: float, quiet: float, timeout: float = 30.0) -> list:
    """The meter's levels, read every 0.1 s until it has shown one above `loud` and one
    below `quiet` (a burst and the noise between), or for `timeout` seconds."""
    levels, since = [], time.monotonic()
    while time.monotonic() - since < timeout:
        levels.append(float(await meter.get_attribute("data-level-db")))
        if max(levels) > loud and min(levels) < quiet:
            break
        await asyncio.sleep(0.1)
    return levels


async def test_gate_sends_silence_below_the_threshold_and_follows_the_account(
        open_gate_page, app, livekit, seed_user):
    page = await open_gate_page()
    username, room_name = await _join_new_room(page, seed_user, "Gated talker")
    talker, _ = _lookup(app, username, room_name)
    identity = str(talker.id)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        await open_settings(page)
        await page.get_by_label("Noise suppression", exact=True).select_option("off")
        await switch_off(page, "Automatic gain control")
        await switch_off(page, "Echo cancellation")
        await asyncio.sleep(2)  # the capture restarts without the browser's processing
        tone, rest, _, _ = await listen(peer, identity, 6)  # at least two whole bursts
        assert len(tone) > 80, "the bursts do not arrive"
        assert quiet_share(rest, SILENT_DBFS) < 0.2, (
            f"the noise should arrive with the gate off (median {median_dbfs(rest):.1f} dBFS)")

        await page.get_by_label("Input sensitivity", exact=True).select_option("threshold")
        slider = page.get_by_role("slider", name="Input sensitivity threshold")
        await slider.fill(str(THRESHOLD_DB))
        await expect(page.get_by_test_id("gate-threshold-value")).to_have_text(
            f"{THRESHOLD_DB} dB")
        meter = page.get_by_role("meter", name="Your microphone level")
        await expect(meter).to_have_attribute("data-threshold-db", f"{THRESHOLD_DB:.1f}")
        # the meter moves with the bursts and the noise
        levels = await meter_levels(meter, loud=-20, quiet=THRESHOLD_DB - 5)
        assert max(levels) > -20 and min(levels) < THRESHOLD_DB - 5, levels
        await page.get_by_role("button", name="Done").click()

        await asyncio.sleep(1)
        tone, rest, transmitting, muted = await listen(peer, identity, 6, page)
        assert len(tone) > 80, f"the bursts should pass the gate ({len(tone)} frames)"
        # each burst holds the gate open a moment after it; the rest of the noise is silence
        assert quiet_share(rest, SILENT_DBFS) > 0.6, (
            f"only {quiet_share(rest, SILENT_DBFS):.0%} of the noise was silent "
            f"(median {median_dbfs(rest):.1f} dBFS)")
        assert transmitting == {True, False}, "Transmitting should follow the gate"
        # all the while, the gate closing and opening included
        assert muted == {False}, "the track must stay published and unmuted"

        # automatic: the gate finds the noise floor itself and opens well above it
        await open_settings(page)
        await page.get_by_label("Input sensitivity", exact=True).select_option("auto")
        await expect(page.get_by_role("slider", name="Input sensitivity threshold")
                     ).to_have_count(0)
        await asyncio.sleep(2)
        automatic = float(await meter.get_attribute("data-threshold-db"))
        assert -30 < automatic < -15, f"automatic threshold at {automatic} dB"
        tone, rest, _, _ = await listen(peer, identity, 6)
        assert len(tone) > 80 and quiet_share(rest, SILENT_DBFS) > 0.6, (
            len(tone), median_dbfs(rest))
        await page.get_by_label("Input sensitivity", exact=True).select_option("threshold")

        # with push-to-talk: nothing without the key; with it held, the gate still decides
        await page.get_by_label("Push-to-talk", exact=True).click()
        await page.get_by_role("button", name="Done").click()
        await expect(page.get_by_test_id("push-to-talk-idle")).to_be_visible()
        await asyncio.sleep(1.5)
        tone, _, transmitting, _ = await listen(peer, identity, 3, page)  # a whole burst
        assert tone == [] and transmitting == {False}, (len(tone), transmitting)
        await page.locator("body").focus()
        await page.keyboard.down("Space")
        try:
            await asyncio.sleep(1)
            tone, rest, transmitting, _ = await listen(peer, identity, 5, page)
        finally:
            await page.keyboard.up("Space")
        assert len(tone) > 50 and transmitting == {True, False}, (len(tone), transmitting)
        assert quiet_share(rest, SILENT_DBFS) > 0.5, median_dbfs(rest)

        await page.reload()
        await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
        await open_settings(page)
        await expect(page.get_by_label("Input sensitivity", exact=True)).to_have_value(
            "threshold")
        await expect(page.get_by_test_id("gate-threshold-value")).to_have_text(
            f"{THRESHOLD_DB} dB")
        elsewhere = await open_gate_page()  # a new browser context: only the account is shared
        await log_in(elsewhere, username)
        await open_settings(elsewhere)
        await expect(elsewhere.get_by_label("Noise suppression", exact=True)).to_have_value("off")
        await expect(elsewhere.get_by_role("slider", name="Input sensitivity threshold")
                     ).to_have_value(str(THRESHOLD_DB))
    finally:
        await peer.close()
