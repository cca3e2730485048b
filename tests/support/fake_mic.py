"""A Chromium whose fake microphone plays a file the test wrote (tone bursts between
stretches of noise), and what a Python peer heard of it, split into the bursts and the rest."""

from __future__ import annotations

import math
import statistics
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
from playwright.async_api import Browser, Page, async_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.identities import next_client_address
from tests.support.live_fixtures import ContextOpener
from tests.support.peer import SAMPLE_RATE, TonePeer, write_wav

BURST_HZ = 440.0


def bursts_wav(path: Path, *, noise_rms: float, tone_amplitude: float = 0.3,
               burst_seconds: float = 1.0, gap_seconds: float = 3.0, cycles: int = 5) -> Path:
    """`cycles` times: a tone burst, then white noise alone. Chromium loops the file."""
    rng = np.random.default_rng(19)
    parts = []
    for _ in range(cycles):
        t = np.arange(int(SAMPLE_RATE * burst_seconds)) / SAMPLE_RATE
        parts.append(tone_amplitude * np.sin(2 * math.pi * BURST_HZ * t))
        parts.append(rng.normal(0.0, noise_rms, int(SAMPLE_RATE * gap_seconds)))
    return write_wav(path, np.concatenate(parts))


@asynccontextmanager
async def fake_mic_pages(wav: Path, base_url: str) -> AsyncIterator:
    """open_page() -> a page in a fresh context of a Chromium whose microphone plays `wav`."""
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"]
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        opener = ContextOpener(browser, base_url)

        async def open_page() -> Page:
            return await opener.page(next_client_address(), color_scheme="light",
                                     viewport={"width": 1280, "height": 900})
        try:
            yield open_page
        finally:
            await opener.close()
            await browser.close()


def dbfs(rms: float) -> float:
    return 20 * math.log10(max(rms, 1e-6))


def heard(peer: TonePeer, identity: str, since: float) -> tuple[list[float], list[float]]:
    """(rms of each 10 ms frame that was the burst's tone, rms of every other frame)."""
    tone, rest = [], []
    for at, who, rms, dominant in peer.levels:
        if who == identity and at >= since:
            (tone if rms > 0.01 and abs(dominant - BURST_HZ) <= 100 else rest).append(rms)
    return tone, rest


def quiet_share(levels: list[float], below_dbfs: float) -> float:
    """The share of frames quieter than `below_dbfs`."""
    return sum(1 for rms in levels if dbfs(rms) < below_dbfs) / max(len(levels), 1)


def median_dbfs(levels: list[float]) -> float:
    return dbfs(statistics.median(levels)) if levels else -120.0
