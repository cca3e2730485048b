"""Join latency: from the click on a room to the first non-silent remote audio in the browser.

The app: the real app (`reflex run --env prod --single-port`) and a real LiveKit server on
loopback; a Python peer publishes a steady tone in room A. A logged-in Chromium page sits in
room B ("Connected"), then clicks room A; the clock stops when the summed `totalAudioEnergy`
of the page's received audio (getStats, polled every ~20 ms inside the page) rises above its
value before the click.

The floors, in the same run and alternated with the app: a bare HTML page on a loopback
static server loads livekit-client's UMD build and, on a button click, does
`new LivekitClient.Room()` with E2EE (the same room key, the same worker) and
`room.connect(url, token)` with a token minted beforehand for room A, attaching the
subscribed audio track; the same clock, then `room.disconnect()`. The second floor also
publishes its (fake) microphone once connected, as the app does, so the ratio to it is the
app's own overhead.

Cold joins, reported apart: a new browser context (nothing cached) signs in a new account,
whose lobby has no call yet, so livekit-client is not loaded, and clicks room A once.

    .venv/bin/python -m bench.join_latency [--runs 20] [--warmup 1] [--cold 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
import time

from bench._support import (
    ROOT,
    app_settings,
    begin_benchmark,
    livekit_and_app,
    ratio,
    save_results,
    seed_accounts,
    static_server,
    summary,
)

ROOM_A, ROOM_B = "Bench A", "Bench B"
EPSILON = 1e-5      # one 10 ms frame of the peer's tone (amplitude 0.3) adds roughly 1e-3
POLL_MS = 20
RUN_TIMEOUT_MS = 15_000
COLD_ROLES = tuple(f"cold{n}" for n in range(1, 11))
KINDS = ("app", "floor", "floor_publish")
# The app's steps from the click to its first RTCPeerConnection, as CLOCKS records them.
STEPS = {"event": "event sent", "delta": "delta with the token back",
         "worker": "E2EE worker made", "signal": "LiveKit signalling opened"}

# Remembers when the last trusted click happened and when each RTCPeerConnection was made,
# in the page's own clock (performance.now()). Installed after RECORD_PEER_CONNECTIONS.
CLOCKS = """
(() => {
  window.__benchClickAt = null;
  window.__benchPcTimes = [];
  window.addEventListener('click', (e) => { if (e.isTrusted) window.__benchClickAt = e.timeStamp; },
                          true);
  // Where the app's time goes: when the click's event leaves on Reflex's websocket, and
  // when the delta carrying the call's token comes back (frames are Socket.IO text).
  window.__benchWs = [];
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      if (String(args[0]).includes('/rtc')) window.__benchWs.push(['signal', performance.now()]);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && e.data.includes('"token_rx_state_"'))
          window.__benchWs.push(['delta', performance.now()]);
      });
    }
    send(data) {
      if (typeof data === 'string' && data.includes('select_room'))
        window.__benchWs.push(['event', performance.now()]);
      return super.send(data);
    }
  };
  const Thread = window.Worker;
  window.Worker = class extends Thread {
    constructor(...args) { super(...args); window.__benchWs.push(['worker', performance.now()]); }
  };
  const Recorded = window.RTCPeerConnection;
  if (!Recorded) return;
  window.RTCPeerConnection = class extends Recorded {
    constructor(...args) { super(...args); window.__benchPcTimes.push(performance.now()); }
  };
})();
"""


def wait_for_rise_js(energy_js: str) -> str:
    """A page function that polls INBOUND_AUDIO_ENERGY until it rises; bounded in time."""
    return f"""
async ({{before, eps, timeoutMs, pollMs}}) => {{
  const energy = {energy_js.strip()};
  const start = performance.now();
  let polls = 0;
  while (performance.now() - start < timeoutMs && polls < timeoutMs / pollMs + 10) {{
    const value = await energy();
    polls += 1;
    if (value > before + eps) {{
      const at = performance.now();
      const clickAt = window.__benchClickAt;
      const pc = window.__benchPcTimes.find((t) => clickAt !== null && t >= clickAt);
      const after = (kind) => {{
        const found = (window.__benchWs || []).find(([k, t]) => k === kind && t >= clickAt);
        return found ? found[1] : null;
      }};
      return {{at, clickAt, pcAt: pc === undefined ? null : pc, polls, value,
               eventAt: after('event'), deltaAt: after('delta'), workerAt: after('worker'),
               signalAt: after('signal')}};
    }}
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }}
  return {{at: null, clickAt: window.__benchClickAt, pcAt: null, polls, value: await energy()}};
}}
"""


FLOOR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>livekit-client floor</title></head>
<body>
<button id="join" type="button">Join</button>
<div id="audio"></div>
<script src="/livekit-client.umd.js"></script>
<script>
  let room = null;
  window.__benchNext = null;
  document.getElementById('join').addEventListener('click', () => {
    const { url, token, key, publish } = window.__benchNext;
    // Encrypted like the app, with the same room key, so the floor does the same work.
    const keyProvider = new LivekitClient.ExternalE2EEKeyProvider();
    const worker = new Worker('/livekit-client.e2ee.worker.js');
    room = new LivekitClient.Room({ e2ee: { keyProvider, worker } });
    room.on(LivekitClient.RoomEvent.TrackSubscribed, (track) => {
      if (track.kind === 'audio') document.getElementById('audio').appendChild(track.attach());
    });
    keyProvider.setKey(key)
      .then(() => room.connect(url, token))
      .then(() => room.setE2EEEnabled(true))
      .then(() => {
        room.startAudio().catch(() => {});
        if (publish) room.localParticipant.setMicrophoneEnabled(true).catch(() => {});
      });
  });
  window.benchLeave = async () => {
    if (!room) return;
    const leaving = room;
    room = null;
    leaving.remoteParticipants.forEach((p) => p.trackPublications.forEach(
      (pub) => pub.track && pub.track.detach().forEach((el) => el.remove())));
    await leaving.disconnect();
  };
</script>
</body></html>
"""


class PeerThread:
    """The Python TonePeer on its own event loop, so Playwright never delays its audio."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="peer")
        self.peer = None

    def start(self, url: str, token: str, e2ee_key: str) -> None:
        from tests.support.peer import TonePeer

        async def connect():
            peer = TonePeer()
            await peer.connect(url, token, e2ee_key=e2ee_key)
            await peer.publish_tone()
            return peer

        self.thread.start()
        self.peer = asyncio.run_coroutine_threadsafe(connect(), self.loop).result(30)

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        if self.peer is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.peer.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def seed(database_url: str) -> dict:
    """Three users (app browser, floor page, tone peer) and the two rooms, via domain code."""
    return seed_accounts(database_url, ("app", "floor", "peer", *COLD_ROLES),
                         {"room_a": ROOM_A, "room_b": ROOM_B})


async def measure(app, livekit, seeded: dict, umd: bytes, e2ee_worker: bytes, *, runs: int,
                  warmup: int, cold: int) -> dict:
    from playwright.async_api import async_playwright, expect

    from distokoloshe import e2ee, livekit_tokens
    from tests.support.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        INBOUND_AUDIO_ENERGY,
        RECORD_PEER_CONNECTIONS,
    )
    from tests.support.live_fixtures import log_in

    settings = app_settings(livekit, app)
    room_key = e2ee.current_room_key(seeded["room_a"], settings=settings)
    users, room_a = seeded["users"], seeded["room_a"]
    wait_for_rise = wait_for_rise_js(INBOUND_AUDIO_ENERGY)
    rise_args = {"eps": EPSILON, "timeoutMs": RUN_TIMEOUT_MS, "pollMs": POLL_MS}
    results: dict[str, list[dict]] = {kind: [] for kind in (*KINDS, "cold")}
    failures = dict.fromkeys((*KINDS, "cold"), 0)

    async def quiet_energy(page) -> float:
        """Waits (bounded) until nothing is received, so the rise comes from the new room."""
        previous = await page.evaluate(INBOUND_AUDIO_ENERGY)
        for _ in range(50):
            await asyncio.sleep(0.1)
            current = await page.evaluate(INBOUND_AUDIO_ENERGY)
            if current == previous:
                return current
            previous = current
        raise RuntimeError("received audio never went quiet before a run")

    async def timed_click(page, locator) -> dict:
        await page.bring_to_front()
        before = await quiet_energy(page)
        await page.evaluate("() => { window.__benchClickAt = null; }")
        await locator.click()
        result = await page.evaluate(wait_for_rise, {"before": before, **rise_args})
        if result["at"] is None or result["clickAt"] is None:
            return {"ok": False, **result}
        pc, click = result["pcAt"], result["clickAt"]
        since = {name: None if result.get(f"{name}At") is None
                 else result[f"{name}At"] - click for name in STEPS}
        return {"ok": True, "ms": result["at"] - click,
                "pc_ms": None if pc is None else pc - click, "polls": result["polls"],
                **{f"{name}_ms": value for name, value in since.items()}}

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            app_context = await browser.new_context(base_url=app.public_url)
            for script in (RECORD_PEER_CONNECTIONS, CLOCKS):
                await app_context.add_init_script(script)
            app_page = await app_context.new_page()
            await log_in(app_page, users["app"].username)
            button_a = app_page.get_by_role("button", name=ROOM_A, exact=True)
            button_b = app_page.get_by_role("button", name=ROOM_B, exact=True)
            selected = app_page.get_by_test_id("selected-room-name")
            connected = app_page.get_by_text("Connected", exact=True)

            async def app_to_room_b() -> None:
                if await selected.count() == 0 or await selected.inner_text() != ROOM_B:
                    await button_b.click()
                await expect(selected).to_have_text(ROOM_B, timeout=15_000)
                await expect(connected).to_be_visible(timeout=20_000)

            async def app_run() -> dict:
                await app_to_room_b()
                result = await timed_click(app_page, button_a)
                await expect(selected).to_have_text(ROOM_A, timeout=15_000)
                await app_to_room_b()  # leave room A, so the floor runs alone with the peer
                return result

            routes = {"/": ("text/html; charset=utf-8", FLOOR_PAGE.encode()),
                      "/livekit-client.umd.js": ("text/javascript", umd),
                      "/livekit-client.e2ee.worker.js": ("text/javascript", e2ee_worker)}
            with static_server(routes=routes) as floor_server:
                floor_context = await browser.new_context(base_url=floor_server.url)
                for script in (RECORD_PEER_CONNECTIONS, CLOCKS):
                    await floor_context.add_init_script(script)
                floor_page = await floor_context.new_page()
                await floor_page.goto("/")
                await floor_page.wait_for_function("() => typeof LivekitClient === 'object'")
                join = floor_page.locator("#join")

                async def floor_run(publish: bool) -> dict:
                    token = livekit_tokens.mint_join_token(users["floor"], room_a,
                                                           settings=settings)
                    await floor_page.evaluate("(next) => { window.__benchNext = next; }",
                                              {"url": livekit.url, "token": token,
                                               "key": room_key, "publish": publish})
                    try:
                        return await timed_click(floor_page, join)
                    finally:
                        await floor_page.evaluate("() => window.benchLeave()")

                runners = {"app": app_run, "floor": lambda: floor_run(False),
                           "floor_publish": lambda: floor_run(True)}
                total = warmup + runs
                for index in range(total):
                    # Rotate which goes first, so none always follows another.
                    shift = index % len(KINDS)
                    order = [(kind, runners[kind]) for kind in KINDS[shift:] + KINDS[:shift]]
                    for name, run in order:
                        result = await run()
                        label = "warm-up" if index < warmup else f"run {index - warmup + 1}"
                        shown = f"{result['ms']:7.1f} ms" if result["ok"] else "  no audio"
                        print(f"  {label:>8} {name:<13} {shown}", file=sys.stderr, flush=True)
                        if index < warmup:
                            continue
                        if result["ok"]:
                            results[name].append(result)
                        else:
                            failures[name] += 1
                await floor_context.close()
            await app_context.close()
            for n in range(cold):
                context = await browser.new_context(base_url=app.public_url)
                for script in (RECORD_PEER_CONNECTIONS, CLOCKS):
                    await context.add_init_script(script)
                page = await context.new_page()
                await log_in(page, users[COLD_ROLES[n]].username)
                result = await timed_click(
                    page, page.get_by_role("button", name=ROOM_A, exact=True))
                shown = f"{result['ms']:7.1f} ms" if result["ok"] else "  no audio"
                print(f"  cold {n + 1:>3} app {shown}", file=sys.stderr, flush=True)
                if result["ok"]:
                    results["cold"].append(result)
                else:
                    failures["cold"] += 1
                await context.close()
        finally:
            await browser.close()
    return {"results": results, "failures": failures}


def breakdown(runs: list[dict]) -> list[str]:
    """When, after the click, the event left on Reflex's websocket, the delta with the token
    came back, the call component made its E2EE worker (after rendering and its effect),
    opened LiveKit's signalling websocket, and made its first RTCPeerConnection."""
    marks = [f"{name}_ms" for name in STEPS] + ["pc_ms"]
    full = [r for r in runs if None not in (r[mark] for mark in marks)]
    if not full:
        return ["  (not measured: no run saw every step)"]
    labels = [*STEPS.values(), "first RTCPeerConnection made"]
    return [f"  {label:34}{summary([r[mark] for r in full])['p50']:9.1f}"
            for mark, label in zip(marks, labels, strict=True)]


def report(data: dict, *, runs: int, warmup: int, elapsed: float) -> str:
    results, failures = data["results"], data["failures"]
    stats = {kind: summary([r["ms"] for r in results[kind]]) for kind in results}
    pcs = {kind: summary([r["pc_ms"] for r in results[kind] if r["pc_ms"] is not None])
           for kind in results}
    app = stats["app"]
    labels = {"app": "app (Reflex lobby)", "floor": "floor (E2EE)",
              "floor_publish": "floor (E2EE + microphone)", "cold": "app, cold first join"}

    def row(kind: str) -> str:
        got = stats[kind]
        return (f"{labels[kind]:28}{got['p50']:9.1f}{got['p95']:9.1f}{got['mean']:9.1f}"
                f"{got['n']:>4}/{got['n'] + failures[kind]}")

    def ratio_row(floor: str) -> str:
        other = stats[floor]
        return (f"{'ratio to ' + labels[floor][:19]:28}{ratio(app['p50'], other['p50']):8.2f}x"
                f"{ratio(app['p95'], other['p95']):8.2f}x{ratio(app['mean'], other['mean']):8.2f}x")

    lines = [
        "Join latency: click on a room -> first non-silent remote audio in Chromium (ms)",
        f"{runs} runs each after {warmup} warm-up, the app and the floors rotated, "
        f"energy polled every {POLL_MS} ms in the page",
        "",
        f"{'':28}{'p50':>9}{'p95':>9}{'mean':>9}{'ok':>6}",
        row("app"), row("floor"), row("floor_publish"),
        ratio_row("floor"), ratio_row("floor_publish"),
        row("cold"),
        "",
        "of which click -> first new RTCPeerConnection (ms):",
        *[f"{labels[kind]:28}{pcs[kind]['p50']:9.1f}{pcs[kind]['p95']:9.1f}"
          f"{pcs[kind]['mean']:9.1f}" for kind in (*KINDS, "cold")],
        f"{'app - floor (p50)':28}{pcs['app']['p50'] - pcs['floor']['p50']:9.1f}",
        "",
        "when each step of the app's join happened (ms after the click, p50):",
        *breakdown(results["app"]),
        "",
        f"wall time {elapsed:.0f} s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="measured runs of each (default 20)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded runs first (default 1)")
    parser.add_argument("--cold", type=int, default=3,
                        help=f"cold first joins, each by a new account (0..{len(COLD_ROLES)})")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args(argv)
    if (not 1 <= args.runs <= 500 or not 0 <= args.warmup <= 20
            or not 0 <= args.cold <= len(COLD_ROLES)):
        parser.error(f"--runs must be 1..500, --warmup 0..20 and --cold 0..{len(COLD_ROLES)}")

    started = begin_benchmark()
    from distokoloshe import e2ee, livekit_tokens
    peer = PeerThread()
    try:
        print("starting LiveKit and the app (the app builds its frontend)...", file=sys.stderr,
              flush=True)
        with livekit_and_app("bench-join-", keep=args.keep) as (_workdir, livekit, app):
            # Seeded before the start: the lobby's room list is read when the backend starts.
            app.migrate()
            seeded = seed(app.database_url)
            app.start()
            umd_path = (ROOT / ".web" / "node_modules" / "livekit-client" / "dist"
                        / "livekit-client.umd.js")
            if not umd_path.is_file():
                raise SystemExit(f"missing {umd_path}; the app build should have installed it")
            settings = app_settings(livekit, app)
            peer.start(livekit.url, livekit_tokens.mint_join_token(
                seeded["users"]["peer"], seeded["room_a"], settings=settings),
                e2ee.current_room_key(seeded["room_a"], settings=settings))
            print(f"ready after {time.monotonic() - started:.0f} s; measuring", file=sys.stderr,
                  flush=True)
            worker_path = umd_path.with_name("livekit-client.e2ee.worker.js")
            data = asyncio.run(measure(app, livekit, seeded, umd_path.read_bytes(),
                                       worker_path.read_bytes(),
                                       runs=args.runs, warmup=args.warmup,
                                       cold=args.cold))
    finally:
        peer.stop()

    elapsed = time.monotonic() - started
    print(report(data, runs=args.runs, warmup=args.warmup, elapsed=elapsed))
    save_results("join_latency", {"runs": args.runs, "warmup": args.warmup, "cold": args.cold,
                                  "elapsed_s": elapsed, **data})
    return 0 if not any(data["failures"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
