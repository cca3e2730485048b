"""Room size: how many people one call holds on this machine, and what each one costs.

For each size N (default 10, 25, 50), one end-to-end encrypted call on the real app and a
real LiveKit server on loopback: two separate headless Chromium launches in the app (signed
in, in the call, each publishing its fake microphone), and N - 2 Python peers, each
publishing a tone at 20 kbit/s. One of the peers subscribes to everyone and measures; the
others only publish (so the Python side's decoding does not crowd the machine). Over the
window (default 120 s):
- joins that failed (a peer that did not connect within 20 s), and joined peers that were
  lost during the window (the peers run in groups of a few per process: bench/_peer_groups);
- packet loss and jitter of the audio each receiver gets (the tabs' getStats, the measuring
  peer's own WebRTC stats), over the window;
- speakers heard: for each speaker a tab shows, whether its level meter (after the
  listener's gain) rose above silence during the window;
- tiles and presence: whether every tab showed all N tiles, and all N in the room's
  member list, within a minute of the last join;
- CPU seconds per second of LiveKit, the backend, and each browser's process tree, and the
  events each tab sent to the backend per second.
Baseline in the same run: a call of 2 (one tab and one Python peer), measured the same way;
the tabs' CPU is given as a ratio to it.

    .venv/bin/python -m bench.room_size [--sizes 10,25,50] [--seconds 120] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import sys
import time

from bench._cpu import cpu_per_second, cpu_snapshot, find_browser_root
from bench._peer_groups import PeerGroups
from bench._support import (
    app_settings,
    begin_benchmark,
    livekit_and_app,
    ratio,
    save_results,
    seed_accounts,
)

ROOM = "Bench room size"
SHOWN_TIMEOUT_S = 60
HEARD_RMS = 0.01

# Test instrumentation only: count what the page sends on the app's websocket.
COUNT_EVENTS = """
(() => {
  const send = WebSocket.prototype.send;
  window.__benchSent = 0;
  WebSocket.prototype.send = function (...args) {
    window.__benchSent += 1;
    return send.apply(this, args);
  };
})();
"""

AUDIO_RECEIVED = """
async () => {
  let lost = 0, received = 0, jitter = 0, streams = 0;
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
      lost += Math.max(0, r.packetsLost || 0);
      received += r.packetsReceived || 0;
      jitter += r.jitter || 0;
      streams += 1;
    });
  }
  return { lost, received, jitter_ms: streams ? jitter / streams * 1000 : 0, streams,
           sent: window.__benchSent || 0 };
}
"""

LEVELS = """
() => Object.fromEntries(Array.from(document.querySelectorAll('[aria-label^="Level of "]'))
  .map((el) => [el.getAttribute('aria-label').slice(9), Number(el.dataset.rms || 0)]))
"""

SHOWN = """
(room) => {
  const item = document.querySelector(`[data-testid="room-item"][data-room="${room}"]`);
  return { tiles: document.querySelectorAll('[data-testid="participant-tile"]').length,
           members: item ? item.querySelectorAll('[data-testid="room-member"]').length : 0 };
}
"""


def _received_delta(before: dict, after: dict) -> dict:
    lost = after["lost"] - before["lost"]
    received = after["received"] - before["received"]
    return {"loss_pct": 100 * lost / (lost + received) if lost + received else float("nan"),
            "jitter_ms": after["jitter_ms"], "streams": after["streams"]}


async def measure_size(app, livekit, seeded: dict, settings, peers: PeerGroups, *, size: int,
                       seconds: float, playwright) -> dict:
    from playwright.async_api import expect

    from distokoloshe import e2ee, livekit_tokens
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RECORD_PEER_CONNECTIONS
    from tests.support.live_fixtures import log_in

    tabs = 1 if size == 2 else 2
    room = seeded["room"]
    key = e2ee.current_room_key(room, settings=settings)
    tags = [f"--distokoloshe-bench=room-size-{os.getpid()}-{size}-{i}" for i in range(tabs)]
    browsers, pages = [], []

    def log(message: str) -> None:
        print(f"[{size}] {message}", file=sys.stderr, flush=True)

    try:
        for index, tag in enumerate(tags):
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=[*CHROMIUM_ARGS, tag])
            browsers.append(browser)
            context = await browser.new_context(base_url=app.public_url,
                                                viewport={"width": 1280, "height": 800})
            for script in (RECORD_PEER_CONNECTIONS, COUNT_EVENTS):
                await context.add_init_script(script)
            page = await context.new_page()
            await log_in(page, seeded["users"][f"tab{index}"].username)
            await page.get_by_role("button", name=ROOM, exact=True).click()
            await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=30_000)
            pages.append(page)
        roots = {f"tab{i}": find_browser_root(tag) for i, tag in enumerate(tags)}
        roots["livekit"] = livekit.process.pid
        roots["backend"] = app.process.pid
        log(f"{tabs} tab(s) in the call; {size - tabs} Python peers joining")
        tokens = [livekit_tokens.mint_join_token(seeded["users"][f"peer{i}"], room,
                                                 settings=settings)
                  for i in range(size - tabs)]
        await asyncio.to_thread(peers.join, livekit.url, key, tokens)
        log(f"joined: {peers.joined} of {len(tokens)} peers ({peers.failed} failed)")

        shown_all = []
        for page in pages:
            deadline = time.monotonic() + SHOWN_TIMEOUT_S
            shown = await page.evaluate(SHOWN, ROOM)
            while (shown["tiles"] < size or shown["members"] < size) \
                    and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                shown = await page.evaluate(SHOWN, ROOM)
            shown_all.append(shown)

        before = {"cpu": cpu_snapshot(roots),
                  "tabs": [await page.evaluate(AUDIO_RECEIVED) for page in pages]}
        before["peer"] = peers.stats()
        loudest: list[dict[str, float]] = [{} for _ in pages]
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            for index, page in enumerate(pages):
                for name, rms in (await page.evaluate(LEVELS)).items():
                    loudest[index][name] = max(loudest[index].get(name, 0.0), rms)
            await asyncio.sleep(1.0)
        after = {"cpu": cpu_snapshot(roots),
                 "tabs": [await page.evaluate(AUDIO_RECEIVED) for page in pages]}
        after["peer"] = peers.stats()
        cpu = cpu_per_second(before["cpu"], after["cpu"], list(roots))
        wall = cpu["wall_s"]
        result = {
            "size": size, "failed_joins": peers.failed, "dropped": peers.dropped(),
            "shown": shown_all,
            "cpu": cpu,
            "tabs": [{**_received_delta(b, a),
                      "events_per_s": (a["sent"] - b["sent"]) / wall,
                      "speakers_shown": len(loud),
                      "speakers_heard": sum(1 for rms in loud.values() if rms > HEARD_RMS)}
                     for b, a, loud in zip(before["tabs"], after["tabs"], loudest,
                                           strict=True)],
        }
        if before["peer"] and after["peer"]:
            result["peer"] = _received_delta(before["peer"], after["peer"])
        return result
    finally:
        await asyncio.to_thread(peers.leave)
        for browser in browsers:
            with contextlib.suppress(Exception):
                await browser.close()


def report(results: list[dict], *, seconds: float, elapsed: float) -> str:
    baseline = next((r for r in results if r["size"] == 2 and "error" not in r), None)
    base_tab = baseline["cpu"]["tab0"] if baseline else float("nan")
    lines = [f"Room size: one encrypted call, 2 app tabs + Python peers, {seconds:.0f} s each",
             "",
             f"{'size':>5}{'failed':>7}{'dropped':>8}{'tiles/presence':>16}{'heard':>13}"
             f"{'loss %':>8}{'jitter':>8}{'tab CPU':>9}{'vs 2':>7}{'events/s':>9}{'LiveKit':>9}"
             f"{'backend':>9}"]
    for r in results:
        if "error" in r:
            lines.append(f"{r['size']:>5}  could not be measured: {r['error'][:80]}")
            continue
        tabs = r["tabs"]
        shown = " ".join(f"{s['tiles']}/{s['members']}" for s in r["shown"])
        heard = " ".join(f"{t['speakers_heard']}/{t['speakers_shown']}" for t in tabs)
        receivers = [*tabs, *([r["peer"]] if "peer" in r else [])]
        loss = max((x["loss_pct"] for x in receivers if not math.isnan(x["loss_pct"])),
                   default=float("nan"))
        jitter = max(x["jitter_ms"] for x in receivers)
        tab_cpu = max(r["cpu"][f"tab{i}"] for i in range(len(tabs)))
        events = max(t["events_per_s"] for t in tabs)
        lines.append(f"{r['size']:>5}{r['failed_joins']:>7}{r['dropped']:>8}{shown:>16}{heard:>13}{loss:8.2f}"
                     f"{jitter:8.1f}{tab_cpu:9.2f}{ratio(tab_cpu, base_tab):6.1f}x"
                     f"{events:9.1f}{r['cpu']['livekit']:9.2f}{r['cpu']['backend']:9.2f}")
    lines += ["",
              "failed: joins that did not connect in 20 s; dropped: joined peers lost since;",
              "tiles/presence: tiles and room-list members each tab showed (want size/size);",
              "heard: speakers whose level rose above silence / speakers shown, per tab;",
              "loss and jitter: the worst receiver (tabs and the measuring peer), over the window;",
              "CPU in CPU seconds per second (1.00 = one core); tab CPU is the busier tab.",
              "target: 25 participants with < 1% loss and no failed join",
              f"wall time {elapsed:.0f} s"]
    return "\n".join(lines)


async def run_all(app, livekit, seeded, settings, *, sizes: list[int], seconds: float) -> list:
    from playwright.async_api import async_playwright

    peers = PeerGroups()
    results = []
    async with async_playwright() as playwright:
        for size in [2, *sizes]:
            try:
                results.append(await measure_size(app, livekit, seeded, settings, peers,
                                                  size=size, seconds=seconds,
                                                  playwright=playwright))
            except (TimeoutError, RuntimeError) as error:  # what gave out, kept as a row
                results.append({"size": size, "error": f"{type(error).__name__}: {error}"})
            # Each size as it is done, so a run cut short keeps what it measured.
            print(report(results, seconds=seconds, elapsed=0), file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,25,50", help="call sizes (default 10,25,50)")
    parser.add_argument("--seconds", type=float, default=120.0, help="window per size")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if not all(3 <= size <= 100 for size in sizes) or not 5 <= args.seconds <= 600:
        parser.error("--sizes must be 3..100 and --seconds 5..600")

    started = begin_benchmark()
    print("starting LiveKit and the app (the app builds its frontend)...", file=sys.stderr,
          flush=True)
    with livekit_and_app("bench-room-size-", keep=args.keep) as (_workdir, livekit, app):
        app.migrate()
        roles = ("tab0", "tab1", *(f"peer{i}" for i in range(max(sizes))))
        seeded = seed_accounts(app.database_url, roles, {"room": ROOM})
        app.start()
        settings = app_settings(livekit, app)
        results = asyncio.run(run_all(app, livekit, seeded, settings, sizes=sizes,
                                      seconds=args.seconds))
    elapsed = time.monotonic() - started
    print(report(results, seconds=args.seconds, elapsed=elapsed))
    save_results("room_size", {"seconds": args.seconds, "elapsed_s": elapsed,
                               "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
