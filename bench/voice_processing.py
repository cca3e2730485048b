"""Voice processing cost: CPU of the sending browser with RNNoise, with the voice gate, and
with both, against the same call with suppression off, in the same run.

The app: the real app (`reflex run --env prod --single-port`) and a real LiveKit server on
loopback. Two separate headless Chromium launches (each one's whole process tree charged its
own CPU, as bench/screen_share.py does): a sender and a receiver, logged in as two users in
one end-to-end encrypted call. The sender's fake microphone plays tone bursts between white
noise (tests/support/fake_mic.py), with the browser's own echo cancellation and gain control
off. The sender switches its settings through the UI; each case settles, then CPU seconds
per wall second of each browser's tree are measured over the window. "off" is measured first
and last; the costs are against the mean of the two.

    .venv/bin/python -m bench.voice_processing [--window 20] [--settle 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench._support import (
    begin_benchmark,
    livekit_and_app,
    save_results,
    seed_accounts,
)
from bench.screen_share import cpu_per_second, cpu_snapshot, find_browser_root

ROOM = "Bench voice"
# case -> (noise suppression, input sensitivity)
CASES = [("off", "off", "off"), ("gate", "off", "threshold"), ("rnnoise", "rnnoise", "off"),
         ("both", "rnnoise", "threshold"), ("off again", "off", "off")]


async def measure(app, livekit, seeded: dict, wav: Path, *, window: float,
                  settle: float) -> dict:
    from playwright.async_api import async_playwright, expect

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RECORD_PEER_CONNECTIONS
    from tests.support.live_fixtures import log_in

    roles = ("sender", "receiver")
    tags = {role: f"--distokoloshe-bench=voice-{os.getpid()}-{role}" for role in roles}
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"]
    runs = []
    async with async_playwright() as playwright:
        browsers = {}
        try:
            for role in roles:
                browsers[role] = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=[*args, tags[role]])
            roots = {role: find_browser_root(tags[role]) for role in roles}
            names = list(roots)
            pages = {}
            for role in roles:
                context = await browsers[role].new_context(base_url=app.public_url)
                await context.add_init_script(RECORD_PEER_CONNECTIONS)
                pages[role] = await context.new_page()
                await log_in(pages[role], seeded["users"][role].username)
                await pages[role].get_by_role("button", name=ROOM, exact=True).click()
                await expect(pages[role].get_by_text("Connected", exact=True)).to_be_visible(
                    timeout=30_000)
            sender = pages["sender"]
            await sender.get_by_role("button", name="Audio and video settings").click()
            for label in ("Automatic gain control", "Echo cancellation"):
                await sender.get_by_label(label, exact=True).click()
            for name, noise, gate in CASES:
                await sender.get_by_label("Noise suppression", exact=True).select_option(noise)
                await sender.get_by_label("Input sensitivity", exact=True).select_option(gate)
                await asyncio.sleep(settle)
                before = cpu_snapshot(roots)
                await asyncio.sleep(window)
                cpu = cpu_per_second(before, cpu_snapshot(roots), names)
                runs.append({"case": name, "noise": noise, "gate": gate, "cpu": cpu})
                print(f"  {name:<10} sender {cpu['sender']:.3f} CPU s/s, receiver "
                      f"{cpu['receiver']:.3f}", file=sys.stderr, flush=True)
        finally:
            for browser in browsers.values():
                await browser.close()
    return {"runs": runs}


def report(data: dict, *, window: float, elapsed: float, load: str) -> str:
    runs = {run["case"]: run["cpu"]["sender"] for run in data["runs"]}
    off = (runs["off"] + runs["off again"]) / 2
    lines = [f"voice processing, sending browser's CPU (window {window:.0f} s, load at start "
             f"{load}, {os.cpu_count()} cores)", "",
             f"{'case':<11}{'CPU s/s':>9}{'vs off':>10}"]
    for run in data["runs"]:
        sender = run["cpu"]["sender"]
        lines.append(f"{run['case']:<11}{sender:9.3f}{(sender - off) * 100:+9.1f}%")
    lines += ["", "vs off: percent of one core added over the mean of the two 'off' windows",
              f"wall time {elapsed:.0f} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=20.0,
                        help="seconds measured per case (default 20)")
    parser.add_argument("--settle", type=float, default=4.0,
                        help="seconds waited after each switch (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args(argv)
    if not 5 <= args.window <= 120 or not 1 <= args.settle <= 30:
        parser.error("--window must be 5..120 and --settle 1..30")

    from tests.support.fake_mic import bursts_wav

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    started = begin_benchmark()
    print("starting LiveKit and the app (the app builds its frontend)...", file=sys.stderr,
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-voice-wav-") as media, \
            livekit_and_app("bench-voice-", keep=args.keep) as (_workdir, livekit, app):
        wav = bursts_wav(Path(media) / "bursts.wav", noise_rms=0.05)
        app.migrate()
        seeded = seed_accounts(app.database_url, ("sender", "receiver"), {"room": ROOM})
        app.start()
        data = asyncio.run(measure(app, livekit, seeded, wav, window=args.window,
                                   settle=args.settle))
    elapsed = time.monotonic() - started
    print(report(data, window=args.window, elapsed=elapsed, load=load))
    save_results("voice_processing", {"window_s": args.window, "settle_s": args.settle,
                                      "load_at_start": load, "cores": os.cpu_count(),
                                      "elapsed_s": elapsed, **data})
    return 0


if __name__ == "__main__":
    sys.exit(main())
