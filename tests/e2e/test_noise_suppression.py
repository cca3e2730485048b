"""RNNoise, measured at a real Python LiveKit peer: the fake microphone plays a tone burst
and then white noise alone; the noise-only part arrives at least 10 dB quieter with RNNoise
than with suppression off, the bursts still arrive, and the choice changes live and follows
the account."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import expect

from tests.e2e.test_calls import _join_new_room, _lookup, _python_peer
from tests.e2e.test_personal_audio import MIC_SETTINGS
from tests.e2e.test_voice_gate import open_settings, switch_off
from tests.support.fake_mic import bursts_wav, fake_mic_pages, heard, median_dbfs
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

NOISE_RMS = 0.05  # white noise at about -26 dBFS between the bursts
REDUCTION_DB = 10


@pytest.fixture
async def open_noisy_page(tmp_path, app):
    wav = bursts_wav(tmp_path / "noisy.wav", noise_rms=NOISE_RMS)
    async with fake_mic_pages(wav, app.public_url) as open_page:
        yield open_page


async def measure(peer, identity: str, seconds: float = 8.0) -> tuple[int, float]:
    """(tone frames heard, median level of the rest in dBFS) over the next `seconds`."""
    await asyncio.sleep(1.5)  # the switch takes effect; earlier audio drains
    since = time.monotonic()
    await asyncio.sleep(seconds)
    tone, rest = heard(peer, identity, since)
    return len(tone), median_dbfs(rest)


async def test_rnnoise_lowers_the_noise_by_ten_db_live(open_noisy_page, app, livekit,
                                                       seed_user):
    page = await open_noisy_page()
    username, room_name = await _join_new_room(page, seed_user, "Noisy talker")
    talker, _ = _lookup(app, username, room_name)
    identity = str(talker.id)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        if await peer.wait_for_sound(identity, timeout=20) < 0.02:
            errors = await page.get_by_test_id("media-error").all_inner_texts()
            pytest.fail(f"the peer hears nothing from the browser; its errors: {errors}")
        await open_settings(page)
        choice = page.get_by_label("Noise suppression", exact=True)
        await expect(choice).to_have_value("rnnoise")  # the default where it can run
        await switch_off(page, "Automatic gain control")
        await switch_off(page, "Echo cancellation")
        joined_as = peer.room.remote_participants[identity].sid

        await choice.select_option("off")
        tones_off, noise_off = await measure(peer, identity)
        await choice.select_option("rnnoise")
        tones_on, noise_on = await measure(peer, identity)
        print(f"noise-only part: {noise_off:.1f} dBFS off, {noise_on:.1f} dBFS with RNNoise")
        assert tones_off > 100 and tones_on > 100, (tones_off, tones_on)
        assert noise_off > -40, f"the noise should arrive without suppression ({noise_off})"
        assert noise_off - noise_on >= REDUCTION_DB, (
            f"RNNoise lowered the noise by {noise_off - noise_on:.1f} dB")
        await expect(page.get_by_test_id("noise-fallback")).to_have_count(0)
        # live: the same connection throughout, no rejoin
        assert peer.room.remote_participants[identity].sid == joined_as

        await choice.select_option("browser")
        await asyncio.sleep(1)  # saved in the background
        other = await open_noisy_page()  # a new browser context: only the account is shared
        await log_in(other, username)
        await open_settings(other)
        await expect(other.get_by_label("Noise suppression", exact=True)).to_have_value(
            "browser")
    finally:
        await peer.close()


async def test_a_browser_that_cannot_run_rnnoise_says_so_and_uses_its_own(
        open_noisy_page, app, livekit, seed_user):
    page = await open_noisy_page()
    # RNNoise's WebAssembly never arrives, as where a browser or its policy refuses it
    await page.route("**/*.wasm", lambda route: route.abort())
    username, room_name = await _join_new_room(page, seed_user, "Old browser")
    talker, _ = _lookup(app, username, room_name)
    peer, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        await expect(page.get_by_test_id("noise-fallback")).to_contain_text(
            "browser's own noise suppression", timeout=20_000)
        assert await peer.wait_for_sound(str(talker.id)) > 0.02, "the microphone went silent"
        for _ in range(50):  # the capture now has the browser's suppression
            if ((await page.evaluate(MIC_SETTINGS)) or {}).get("noiseSuppression") is True:
                break
            await asyncio.sleep(0.2)
        assert (await page.evaluate(MIC_SETTINGS))["noiseSuppression"] is True
    finally:
        await peer.close()
