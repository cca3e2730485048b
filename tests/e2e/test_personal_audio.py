"""Per-listener volume (0–200%, measured after the gain), mute-for-me, push-to-talk, and
personal audio settings that follow the account."""

from __future__ import annotations

import asyncio
import math
import re
import statistics
import time

import pytest
from playwright.async_api import WebSocketRoute, expect
from sqlmodel import Session, select

from distokoloshe.db import make_engine
from distokoloshe.models import ParticipantVolume
from tests.e2e.test_calls import _join_new_room, _lookup, _python_peer, _tile
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

PEER = "Python peer"
# 200% is +6.02 dB; Opus coding and level sampling leave some slack.
DOUBLING_DB, TOLERANCE_DB = 20 * math.log10(2), 1.5


async def _level(page, samples: int = 12) -> float:
    """Median RMS of the peer's audio after this listener's gain, over about 1.2 s."""
    meter = page.get_by_role("meter", name=f"Level of {PEER}")
    values = []
    for _ in range(samples):
        values.append(float(await meter.get_attribute("data-rms")))
        await asyncio.sleep(0.1)
    return statistics.median(values)


async def _settle_level(page) -> float:
    await asyncio.sleep(0.6)  # the gain ramps in about 50 ms; let old samples pass
    return await _level(page)


async def _set_volume(page, key: str, shown: str) -> None:
    slider = page.get_by_role("slider", name=f"Volume for {PEER}")
    await slider.focus()
    await slider.press(key)
    await expect(_tile(page, PEER).get_by_test_id("volume-value")).to_have_text(shown)


@pytest.fixture
async def listening(new_page, app, livekit, seed_user):
    page = await new_page()
    username, room_name = await _join_new_room(page, seed_user, "Listener")
    peer, peer_identity = await _python_peer(app, livekit, seed_user, room_name)
    await peer.publish_tone(amplitude=0.25)
    await expect(_tile(page, PEER)).to_be_visible(timeout=15_000)
    for _ in range(50):  # wait for the tone to arrive through the graph
        if await _level(page, samples=1) > 0.05:
            break
        await asyncio.sleep(0.2)
    yield page, username, room_name, peer, peer_identity
    await peer.close()


async def test_volume_zero_hundred_two_hundred_and_mute_for_me(listening):
    page, *_ = listening
    reference = await _settle_level(page)
    assert reference > 0.05, f"no reference level ({reference:.4f})"

    await _set_volume(page, "End", "200%")
    doubled = await _settle_level(page)
    gain_db = 20 * math.log10(doubled / reference)
    assert abs(gain_db - DOUBLING_DB) <= TOLERANCE_DB, f"200% measured {gain_db:+.2f} dB"

    await _set_volume(page, "Home", "0%")
    assert await _settle_level(page) < reference * 0.01  # below -40 dB: silent

    await _set_volume(page, "End", "200%")
    await page.get_by_role("button", name=f"Mute {PEER} for me").click()
    await expect(page.get_by_role("button", name=f"Mute {PEER} for me")).to_have_attribute(
        "aria-pressed", "true")
    assert await _settle_level(page) < reference * 0.01
    await page.get_by_role("button", name=f"Mute {PEER} for me").click()
    assert await _settle_level(page) > reference * 1.5


async def test_volume_follows_the_account_to_another_browser(listening, new_page):
    page, username, *_ = listening
    reference = await _settle_level(page)
    await _set_volume(page, "End", "200%")

    fresh = await new_page()  # nothing shared with the first context
    await log_in(fresh, username)
    await expect(fresh.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    await expect(_tile(fresh, PEER).get_by_test_id("volume-value")).to_have_text("200%")
    for _ in range(30):
        if await _level(fresh, samples=1) > 0.05:
            break
        await asyncio.sleep(0.2)
    level = await _settle_level(fresh)
    gain_db = 20 * math.log10(level / reference)
    assert abs(gain_db - DOUBLING_DB) <= TOLERANCE_DB, f"second browser at {gain_db:+.2f} dB"


async def test_push_to_talk_transmits_only_while_the_key_is_held(new_page, app, livekit,
                                                                 seed_user):
    page = await new_page()
    username, room_name = await _join_new_room(page, seed_user, "Talker")
    talker, _ = _lookup(app, username, room_name)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        assert await peer.wait_for_sound(str(talker.id)) > 0.02  # open mic first

        await page.get_by_role("button", name="Audio and video settings").click()
        await page.get_by_label("Push-to-talk", exact=True).click()
        await page.get_by_role("button", name="Done").click()
        await expect(page.get_by_test_id("push-to-talk-idle")).to_have_text("Hold Space to talk")
        await asyncio.sleep(1.5)
        quiet_from = time.monotonic()
        await asyncio.sleep(2.0)
        assert peer.loudest(str(talker.id), since=quiet_from) < 0.005

        await page.locator("body").focus()
        await page.keyboard.down("Space")
        await expect(page.get_by_test_id("transmitting")).to_be_visible()
        assert await peer.wait_for_sound(str(talker.id), timeout=10) > 0.02
        await page.keyboard.up("Space")
        await expect(page.get_by_test_id("push-to-talk-idle")).to_be_visible()
        await asyncio.sleep(1.5)
        quiet_from = time.monotonic()
        await asyncio.sleep(2.0)
        assert peer.loudest(str(talker.id), since=quiet_from) < 0.005
    finally:
        await peer.close()


async def test_push_to_talk_key_is_rebindable_and_saved(new_page, seed_user):
    page = await new_page()
    username, _ = await _join_new_room(page, seed_user, "Rebinder")
    await page.get_by_role("button", name="Audio and video settings").click()
    key_button = page.get_by_role("button", name="Push-to-talk key")
    await expect(key_button).to_have_text("Space")
    await key_button.click()
    await expect(key_button).to_have_text("Press a key…")
    await page.keyboard.press("KeyT")
    await expect(page.locator("#ptt-key")).to_have_text("KeyT")

    other = await new_page()
    await log_in(other, username)
    await other.get_by_role("button", name="Audio and video settings").click()
    await expect(other.locator("#ptt-key")).to_have_text("KeyT")


async def test_talking_while_muted_shows_a_hint(new_page, seed_user):
    page = await new_page()
    await _join_new_room(page, seed_user, "Chatty")
    await page.get_by_role("button", name="Mute", exact=True).click()
    await expect(page.get_by_test_id("muted-hint")).to_contain_text("talking while muted",
                                                                   timeout=10_000)
    await page.get_by_role("button", name="Unmute", exact=True).click()
    await expect(page.get_by_test_id("muted-hint")).to_have_count(0)


async def test_out_of_range_volume_from_a_tampered_client_is_refused(listening, app):
    page, username, room_name, _peer, peer_identity = listening
    listener, _ = _lookup(app, username, room_name)

    async def inflate(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(
            re.sub(r'("value":\s*)[^,}]+', r"\g<1>500", message)
            if isinstance(message, str) and ".set_volume" in message else message))
        server.on_message(ws.send)

    await page.route_web_socket(re.compile(r"/_event"), inflate)
    await page.reload()
    await expect(_tile(page, PEER)).to_be_visible(timeout=20_000)
    slider = page.get_by_role("slider", name=f"Volume for {PEER}")
    await slider.focus()
    await slider.press("End")
    await page.get_by_role("button", name="Audio and video settings").click()
    await expect(page.get_by_test_id("preferences-error")).to_have_text(
        "Volume must be from 0 to 200%.")

    engine = make_engine(app.database_url)
    with Session(engine) as session:
        stored = session.exec(select(ParticipantVolume).where(
            ParticipantVolume.listener_id == listener.id,
            ParticipantVolume.speaker_id == int(peer_identity))).first()
    engine.dispose()
    assert stored is None or stored.volume <= 200


async def test_theme_choice_follows_the_account(new_page, seed_user):
    username = seed_user(display_name="Night owl")
    page = await new_page(color_scheme="light")
    await log_in(page, username)
    await page.get_by_role("button", name="Switch to dark theme").click()
    await expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    await asyncio.sleep(1)  # the change is saved in the background

    elsewhere = await new_page(color_scheme="light")  # a fresh browser, light by default
    await log_in(elsewhere, username)
    await expect(elsewhere.locator("html")).to_have_class(re.compile(r"\bdark\b"))


MIC_SETTINGS = """
() => {
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    for (const sender of pc.getSenders()) {
      if (sender.track && sender.track.kind === 'audio') return sender.track.getSettings();
    }
  }
  return null;
}
"""


async def test_input_processing_switches_apply_live_and_are_saved(new_page, seed_user):
    page = await new_page()
    username, _ = await _join_new_room(page, seed_user, "Tweaker")
    await page.get_by_role("button", name="Audio and video settings").click()
    # the browser's own suppression is applied to the capture (RNNoise, the default, is
    # tested in test_noise_suppression.py)
    await page.get_by_label("Noise suppression", exact=True).select_option("browser")
    for _ in range(50):
        if ((await page.evaluate(MIC_SETTINGS)) or {}).get("noiseSuppression") is True:
            break
        await asyncio.sleep(0.2)
    assert (await page.evaluate(MIC_SETTINGS))["noiseSuppression"] is True

    await page.get_by_label("Noise suppression", exact=True).select_option("off")
    await page.get_by_label("Join and leave sounds", exact=True).click()
    for _ in range(50):  # the live microphone is reconfigured, without rejoining
        if (await page.evaluate(MIC_SETTINGS))["noiseSuppression"] is False:
            break
        await asyncio.sleep(0.2)
    assert (await page.evaluate(MIC_SETTINGS))["noiseSuppression"] is False
    await expect(page.get_by_text("Connected", exact=True)).to_be_visible()

    other = await new_page()
    await log_in(other, username)
    await other.get_by_role("button", name="Audio and video settings").click()
    await expect(other.get_by_label("Noise suppression", exact=True)).to_have_value("off")
    await expect(other.get_by_label("Join and leave sounds", exact=True)).to_have_attribute(
        "aria-checked", "false")
    await expect(other.get_by_label("Echo cancellation", exact=True)).to_have_attribute(
        "aria-checked", "true")
