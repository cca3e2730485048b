"""Screen share cost: CPU of the sharing and the watching browser, and the frame rates they reach.

The app: the real app (`reflex run --env prod --single-port`) and a real LiveKit server on
loopback. Two separate headless Chromium launches (so each one's whole process tree can be
charged its own CPU): a sender and a receiver, logged in as two users, both in one room (an
end-to-end encrypted call; each publishes Chromium's fake microphone). The sender shares its
screen through the UI (Screen share settings -> Quality -> Codec VP9 -> Share screen), the fake
screen capture running at 60 fps (`--use-fake-device-for-media-stream=fps=60`).

For each preset (720p30, 1080p30, 1080p60, native): wait until the receiver shows the share,
let it settle 3 s, then measure over 10 s
- CPU seconds per wall second of each browser's process tree (utime+stime, and those of reaped
  children, from /proc), of the LiveKit server, and of all other threads on the machine;
- sender: encoded frames per second (outbound-rtp framesEncoded delta), sent resolution,
  capture size and capture frames per second (media-source `frames` delta), and why the
  encoder limited itself (the largest share of qualityLimitationDurations over the window);
- receiver: decoded frames per second (inbound-rtp framesDecoded delta), frames presented by
  the <video> element (requestVideoFrameCallback's presentedFrames delta), received
  resolution, and freezes.
Then "Stop sharing" and wait until the sender's encoder stops.

Baseline in the same run: the same two browsers in the call with nobody sharing (audio only),
measured the same way before the first preset and after the last; CPU ratios are against
their mean.

    .venv/bin/python -m bench.screen_share [--window 10] [--settle 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from bench._cpu import cpu_per_second, cpu_snapshot, find_browser_root
from bench._support import (
    begin_benchmark,
    livekit_and_app,
    ratio,
    save_results,
    seed_accounts,
)

ROOM = "Bench screen"
PRESETS = {"720p30": 30, "1080p30": 30, "1080p60": 60, "native": 60}  # preset -> target fps
CODEC = "vp9"
POLL_S = 1.0  # stats polled this often inside the window (per-second series in the JSON)

# Every video stream a page sends and receives, and what its shared-screen <video> presents.
# Counters only; rates are computed in Python from two snapshots and the stats timestamps.
MEDIA_STATS = """
async () => {
  const out = [], inb = [];
  const pcs = window.__testPeerConnections || [];
  for (let i = 0; i < pcs.length; i++) {
    const pc = pcs[i];
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.kind !== 'video') return;
      const codec = r.codecId && stats.get(r.codecId);
      const mime = codec ? codec.mimeType : '';
      if (r.type === 'outbound-rtp') {
        const src = r.mediaSourceId && stats.get(r.mediaSourceId);
        out.push({ key: i + ':' + r.id, ts: r.timestamp, mime,
                   framesEncoded: r.framesEncoded || 0, framesSent: r.framesSent || 0,
                   bytesSent: r.bytesSent || 0, width: r.frameWidth || 0,
                   height: r.frameHeight || 0, fps: r.framesPerSecond || 0,
                   encodeTime: r.totalEncodeTime || 0,
                   limitedBy: r.qualityLimitationReason || '',
                   limits: r.qualityLimitationDurations || {},
                   srcKey: src ? i + ':' + src.id : '', srcTs: src ? src.timestamp : 0,
                   srcFrames: src ? src.frames || 0 : 0, srcFps: src ? src.framesPerSecond || 0 : 0,
                   srcWidth: src ? src.width || 0 : 0, srcHeight: src ? src.height || 0 : 0 });
      } else if (r.type === 'inbound-rtp') {
        inb.push({ key: i + ':' + r.id, ts: r.timestamp, mime,
                   framesDecoded: r.framesDecoded || 0, framesReceived: r.framesReceived || 0,
                   framesDropped: r.framesDropped || 0, bytesReceived: r.bytesReceived || 0,
                   width: r.frameWidth || 0, height: r.frameHeight || 0,
                   fps: r.framesPerSecond || 0, decodeTime: r.totalDecodeTime || 0,
                   freezes: r.freezeCount || 0, freezeS: r.totalFreezesDuration || 0 });
      }
    });
  }
  const f = window.__benchFrames;
  return { out, inb, now: performance.now(),
           presented: f && f.last ? { first: f.first, last: f.last } : null };
}
"""

# Counts the frames the shared screen's <video> presents (requestVideoFrameCallback), from now.
START_FRAME_COUNTER = """
() => {
  if (window.__benchFrames) window.__benchFrames.stop = true;
  const f = window.__benchFrames = { first: null, last: null, stop: false };
  const v = document.querySelector('[data-testid=screen-view]');
  if (!v || !v.requestVideoFrameCallback) return false;
  const on = (now, meta) => {
    if (f.stop) return;
    const at = { now, presented: meta.presentedFrames, w: meta.width, h: meta.height };
    if (!f.first) f.first = at;
    f.last = at;
    v.requestVideoFrameCallback(on);
  };
  v.requestVideoFrameCallback(on);
  return true;
}
"""
STOP_FRAME_COUNTER = "() => { if (window.__benchFrames) window.__benchFrames.stop = true; }"

SCREEN_SHOWN = """
() => { const v = document.querySelector('[data-testid=screen-view]');
        return Boolean(v && !v.hidden && v.videoWidth > 0); }
"""


# --- stats ---------------------------------------------------------------------------------

def _busiest(before: list[dict], after: list[dict], counter: str) -> tuple[dict, dict] | None:
    """The stream (same key in both snapshots) whose `counter` grew the most."""
    earlier = {s["key"]: s for s in before}
    best, growth = None, 0
    for stream in after:
        old = earlier.get(stream["key"])
        if old is not None and stream[counter] - old[counter] > growth:
            best, growth = (old, stream), stream[counter] - old[counter]
    return best


def sender_figures(before: dict, after: dict) -> dict:
    pair = _busiest(before["out"], after["out"], "framesEncoded")
    if pair is None:
        return {"streams": len(after["out"])}
    old, new = pair
    seconds = (new["ts"] - old["ts"]) / 1000
    limits = {k: new["limits"].get(k, 0) - old["limits"].get(k, 0) for k in new["limits"]}
    src_seconds = (new["srcTs"] - old["srcTs"]) / 1000
    same_source = new["srcKey"] and new["srcKey"] == old["srcKey"] and src_seconds > 0
    return {
        "streams": len(after["out"]),
        "mime": new["mime"],
        "encoded_fps": (new["framesEncoded"] - old["framesEncoded"]) / seconds,
        "sent_fps": (new["framesSent"] - old["framesSent"]) / seconds,
        "mbit_s": (new["bytesSent"] - old["bytesSent"]) * 8 / seconds / 1e6,
        "encode_ms_per_frame": ratio((new["encodeTime"] - old["encodeTime"]) * 1000,
                                     new["framesEncoded"] - old["framesEncoded"]),
        "width": new["width"], "height": new["height"],
        "capture_width": new["srcWidth"], "capture_height": new["srcHeight"],
        "capture_fps": ((new["srcFrames"] - old["srcFrames"]) / src_seconds
                        if same_source and new["srcFrames"] else new["srcFps"]),
        "limited_by": max(limits, key=limits.get) if limits and max(limits.values()) > 0
        else new["limitedBy"],
        "limit_shares": {k: round(v / seconds, 3) for k, v in limits.items() if v > 0},
    }


def receiver_figures(before: dict, after: dict) -> dict:
    pair = _busiest(before["inb"], after["inb"], "framesDecoded")
    figures: dict = {"streams": len(after["inb"])}
    if pair is not None:
        old, new = pair
        seconds = (new["ts"] - old["ts"]) / 1000
        figures.update({
            "mime": new["mime"],
            "decoded_fps": (new["framesDecoded"] - old["framesDecoded"]) / seconds,
            "received_fps": (new["framesReceived"] - old["framesReceived"]) / seconds,
            "dropped": new["framesDropped"] - old["framesDropped"],
            "mbit_s": (new["bytesReceived"] - old["bytesReceived"]) * 8 / seconds / 1e6,
            "decode_ms_per_frame": ratio((new["decodeTime"] - old["decodeTime"]) * 1000,
                                         new["framesDecoded"] - old["framesDecoded"]),
            "width": new["width"], "height": new["height"],
            "freezes": new["freezes"] - old["freezes"],
            "freeze_s": new["freezeS"] - old["freezeS"],
        })
    shown = after.get("presented")
    if shown and shown["last"]["now"] > shown["first"]["now"]:
        figures["presented_fps"] = ((shown["last"]["presented"] - shown["first"]["presented"])
                                    / ((shown["last"]["now"] - shown["first"]["now"]) / 1000))
        figures["presented_size"] = [shown["last"]["w"], shown["last"]["h"]]
    return figures


# --- the run --------------------------------------------------------------------------------

def seed(database_url: str) -> dict:
    """The sender, the receiver and their room, via domain code."""
    return seed_accounts(database_url, ("sender", "receiver"), {"room": ROOM})


async def measure(app, livekit, seeded: dict, *, window: float, settle: float) -> dict:
    from playwright.async_api import async_playwright, expect

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RECORD_PEER_CONNECTIONS
    from tests.support.live_fixtures import log_in, share_screen

    roles = ("sender", "receiver")
    tags = {role: f"--distokoloshe-bench=screen-share-{os.getpid()}-{role}" for role in roles}
    results: dict = {"runs": []}

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    async with async_playwright() as playwright:
        browsers: dict = {}
        try:
            for role in roles:
                # An unknown switch is ignored by Chromium; it only tags this launch's root.
                browsers[role] = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, tags[role]])
            roots = {role: find_browser_root(tags[role]) for role in roles}
            roots["livekit"] = livekit.process.pid
            names = list(roots)
            pages = {}
            for role in roles:
                context = await browsers[role].new_context(
                    base_url=app.public_url, viewport={"width": 1280, "height": 800})
                await context.add_init_script(RECORD_PEER_CONNECTIONS)
                pages[role] = await context.new_page()
                await log_in(pages[role], seeded["users"][role].username)
                await pages[role].get_by_role("button", name=ROOM, exact=True).click()
                await expect(pages[role].get_by_text("Connected", exact=True)).to_be_visible(
                    timeout=30_000)
            sender, receiver = pages["sender"], pages["receiver"]
            for page, other in ((sender, "receiver"), (receiver, "sender")):
                await expect(page.get_by_test_id("participant-tile").filter(
                    has_text=f"Bench {other}")).to_be_visible(timeout=20_000)
            await expect(sender.get_by_test_id("encryption-status")).to_have_text(
                "End-to-end encrypted", timeout=20_000)
            log(f"both browsers in the call (sender pid {roots['sender']}, "
                f"receiver pid {roots['receiver']})")

            async def window_measure(label: str) -> dict:
                await asyncio.sleep(settle)
                await receiver.evaluate(START_FRAME_COUNTER)
                stats0 = {role: await pages[role].evaluate(MEDIA_STATS) for role in roles}
                cpu0 = cpu_snapshot(roots)
                series, previous = [], stats0["sender"]
                end = time.monotonic() + window
                for _ in range(int(window / POLL_S) + 2):
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    await asyncio.sleep(min(POLL_S, left))
                    now = await sender.evaluate(MEDIA_STATS)
                    step = sender_figures(previous, now)
                    series.append(round(step.get("encoded_fps", 0.0), 1))
                    previous = now
                cpu1 = cpu_snapshot(roots)
                stats1 = {role: await pages[role].evaluate(MEDIA_STATS) for role in roles}
                await receiver.evaluate(STOP_FRAME_COUNTER)
                own_share_shown = await sender.evaluate(SCREEN_SHOWN)
                run = {"label": label, "cpu": cpu_per_second(cpu0, cpu1, names),
                       "sender": sender_figures(stats0["sender"], stats1["sender"]),
                       "receiver": receiver_figures(stats0["receiver"], stats1["receiver"]),
                       "encoded_fps_per_poll": series, "sender_shows_own_share": own_share_shown}
                cpu, snd, rcv = run["cpu"], run["sender"], run["receiver"]
                log(f"  {label:<8} CPU/s sender {cpu['sender']:.2f} receiver "
                    f"{cpu['receiver']:.2f} livekit {cpu['livekit']:.2f} "
                    f"others {cpu['others']:.2f}; "
                    f"encoded {snd.get('encoded_fps', 0):.1f} fps "
                    f"{snd.get('width', 0)}x{snd.get('height', 0)}, decoded "
                    f"{rcv.get('decoded_fps', 0):.1f} fps")
                return run

            async def sent_frames() -> int:
                stats = await sender.evaluate(MEDIA_STATS)
                return sum(s["framesEncoded"] for s in stats["out"])

            log("idle call (audio only)...")
            results["runs"].append(await window_measure("idle"))
            for preset, target in PRESETS.items():
                log(f"sharing {preset} {CODEC}...")
                await share_screen(sender, preset=preset, codec=CODEC)
                # Bounded waits: the encoder runs, and the receiver shows the share.
                flowing, start = False, await sent_frames()
                for _ in range(40):
                    await asyncio.sleep(0.5)
                    if await sent_frames() > start:
                        flowing = True
                        break
                if not flowing:
                    raise RuntimeError(f"{preset}: the sender encodes no video after 20 s")
                await receiver.wait_for_function(SCREEN_SHOWN, timeout=20_000)
                run = await window_measure(preset)
                run["target_fps"] = target
                results["runs"].append(run)

                await sender.get_by_role("button", name="Stop sharing").click()
                await expect(sender.get_by_role("button", name="Share screen")).to_be_visible(
                    timeout=15_000)
                last, stopped = await sent_frames(), False
                for _ in range(30):
                    await asyncio.sleep(0.5)
                    current = await sent_frames()
                    if current == last:
                        stopped = True
                        break
                    last = current
                if not stopped:
                    raise RuntimeError(f"{preset}: the sender still encodes 15 s after stopping")
                # The receiver stops decoding and its <video> hides (bounded).
                last, quiet = None, False
                for _ in range(30):
                    stats = await receiver.evaluate(MEDIA_STATS)
                    current = sum(s["framesDecoded"] for s in stats["inb"])
                    if current == last and not await receiver.evaluate(SCREEN_SHOWN):
                        quiet = True
                        break
                    last = current
                    await asyncio.sleep(0.5)
                if not quiet:
                    raise RuntimeError(f"{preset}: the receiver still shows the share 15 s "
                                       "after it stopped")
                # Whether the receiver's viewer (Watching, fit, screen audio) went away too.
                run["viewer_left"] = await receiver.get_by_test_id("screen-view").count() == 0
                if not run["viewer_left"]:
                    log("  the receiver still shows the screen viewer (empty) after the share "
                        "stopped")
            log("idle call again...")
            results["runs"].append(await window_measure("idle2"))
            results["viewer_still_shown_at_end"] = (
                await receiver.get_by_test_id("screen-view").count() > 0)
        finally:
            for browser in browsers.values():
                await browser.close()
    return results


def _size(figures: dict, w: str = "width", h: str = "height") -> str:
    return f"{figures[w]}x{figures[h]}" if figures.get(w) else "-"


def report(data: dict, *, window: float, settle: float, elapsed: float, load: str) -> str:
    runs = {run["label"]: run for run in data["runs"]}
    idle = {who: (runs["idle"]["cpu"][who] + runs["idle2"]["cpu"][who]) / 2
            for who in ("sender", "receiver", "livekit")}
    cores = os.cpu_count()
    lines = [
        "Screen share: CPU of the sharing and the watching Chromium, and the frame rates reached",
        f"codec {CODEC.upper()}, end-to-end encrypted call, fake screen capture at 60 fps; "
        f"sender and receiver are separate headless Chromium launches",
        f"CPU = CPU seconds per wall second of each browser's whole process tree "
        f"({settle:.0f} s settle, {window:.0f} s window)",
        f"machine: {cores} cores, which this run shares (two browsers, LiveKit, the app, "
        f"Playwright, and possibly other work: load average at start {load}); absolute figures "
        "are this machine's",
        "x idle: against the mean of the idle call (audio only) before the first share and "
        "after the last",
        "",
        "Sender (captures, encodes, encrypts"
        + ("; its page also plays its own share)" if all(
            runs[label]["sender_shows_own_share"] for label in PRESETS) else ")"),
        f"{'':11}{'CPU/s':>7}{'x idle':>8}{'capture':>11}{'cap fps':>9}{'sent':>11}"
        f"{'enc fps':>9}{'/target':>9}{'Mbit/s':>8}{'ms/frame':>9}  limited by",
    ]
    for label in ("idle", *PRESETS, "idle2"):
        run = runs[label]
        cpu, snd = run["cpu"], run["sender"]
        name = {"idle": "idle", "idle2": "idle (end)"}.get(label, label)
        if "encoded_fps" in snd:
            lines.append(
                f"{name:<11}{cpu['sender']:7.2f}{ratio(cpu['sender'], idle['sender']):7.1f}x"
                f"{_size(snd, 'capture_width', 'capture_height'):>11}{snd['capture_fps']:9.1f}"
                f"{_size(snd):>11}{snd['encoded_fps']:9.1f}"
                f"{snd['encoded_fps'] / run['target_fps'] if 'target_fps' in run else 0:9.2f}"
                f"{snd['mbit_s']:8.2f}{snd['encode_ms_per_frame']:9.1f}  {snd['limited_by']}")
        else:
            lines.append(f"{name:<11}{cpu['sender']:7.2f}"
                         f"{ratio(cpu['sender'], idle['sender']):7.1f}x"
                         f"{'-':>11}{'-':>9}{'-':>11}{'-':>9}{'-':>9}{'-':>8}{'-':>9}")
    lines += [
        "",
        "Receiver (decrypts, decodes, shows the share in the page)",
        f"{'':11}{'CPU/s':>7}{'x idle':>8}{'received':>11}{'dec fps':>9}{'/target':>9}"
        f"{'shown fps':>10}{'Mbit/s':>8}{'ms/frame':>9}{'freezes':>9}",
    ]
    for label in ("idle", *PRESETS, "idle2"):
        run = runs[label]
        cpu, rcv = run["cpu"], run["receiver"]
        name = {"idle": "idle", "idle2": "idle (end)"}.get(label, label)
        head = f"{name:<11}{cpu['receiver']:7.2f}{ratio(cpu['receiver'], idle['receiver']):7.1f}x"
        if "decoded_fps" in rcv:
            shown = rcv.get("presented_fps")
            lines.append(
                f"{head}{_size(rcv):>11}{rcv['decoded_fps']:9.1f}"
                f"{rcv['decoded_fps'] / run['target_fps'] if 'target_fps' in run else 0:9.2f}"
                f"{'-' if shown is None else f'{shown:.1f}':>10}{rcv['mbit_s']:8.2f}"
                f"{rcv['decode_ms_per_frame']:9.1f}"
                f"{rcv['freezes']:>4} /{rcv['freeze_s']:3.1f}s")
        else:
            lines.append(f"{head}{'-':>11}{'-':>9}{'-':>9}{'-':>10}{'-':>8}{'-':>9}{'-':>9}")
    lines += [
        "",
        "Everything else (CPU/s): the LiveKit server; all other threads on the machine (this "
        "script, Playwright, the app, other work; schedstat); total of all",
        f"{'':11}{'LiveKit':>9}{'others':>8}{'total':>9}  (of {cores}.00)",
    ]
    for label in ("idle", *PRESETS, "idle2"):
        cpu = runs[label]["cpu"]
        name = {"idle": "idle", "idle2": "idle (end)"}.get(label, label)
        lines.append(f"{name:<11}{cpu['livekit']:9.2f}{cpu['others']:8.2f}{cpu['total']:9.2f}")
    stale = [label for label in PRESETS if runs[label].get("viewer_left") is False]
    if stale:
        lines += ["", f"note: after \"Stop sharing\" the receiver kept showing the (empty) screen "
                  f"viewer once its video had stopped: {', '.join(stale)}"]
        if data.get("viewer_still_shown_at_end"):
            lines.append(f"      and still did {settle + window:.0f}+ s after the last share "
                         "stopped (end of the second idle window)")
    lines += ["", f"wall time {elapsed:.0f} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=10.0,
                        help="seconds measured per case (default 10)")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds waited before each window (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args(argv)
    if not 2 <= args.window <= 60 or not 0 <= args.settle <= 30:
        parser.error("--window must be 2..60 and --settle 0..30")

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    started = begin_benchmark()
    print("starting LiveKit and the app (the app builds its frontend)...", file=sys.stderr,
          flush=True)
    with livekit_and_app("bench-share-", keep=args.keep) as (_workdir, livekit, app):
        # Seeded before the start: the lobby's room list is read when the backend starts.
        app.migrate()
        seeded = seed(app.database_url)
        app.start()
        print(f"ready after {time.monotonic() - started:.0f} s; measuring", file=sys.stderr,
              flush=True)
        data = asyncio.run(measure(app, livekit, seeded, window=args.window,
                                   settle=args.settle))

    elapsed = time.monotonic() - started
    print(report(data, window=args.window, settle=args.settle, elapsed=elapsed, load=load))
    save_results("screen_share", {"window_s": args.window, "settle_s": args.settle, "codec": CODEC,
                                  "load_at_start": load, "cores": os.cpu_count(),
                                  "elapsed_s": elapsed, **data})
    return 0


if __name__ == "__main__":
    sys.exit(main())
