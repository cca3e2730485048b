"""Mouth-to-ear latency: how long a sound takes from one person's microphone to another's ear.

One end-to-end encrypted call on the real app and a real LiveKit server on loopback:
- Python to browser: a Python peer publishes a click (a 20 ms tone burst in silence) every
  500 ms and records the wall-clock time at which each click's first sample goes into
  `AudioSource.capture_frame`. The real app in headless Chromium, signed in and in the
  call, plays it through its own audio graph; the page taps the analyser that sits after
  the listener's gain (found by following the graph from the remote track) and records
  when a click first shows there, in `performance.timeOrigin + performance.now()`.
- Browser to Python: Chromium's fake microphone plays a file of the same clicks made here;
  the page taps the raw microphone track for when each click is captured, and the Python
  peer's `AudioStream` records when it arrives.
- The floor, at the same time and in the same call: a second Python peer listening to the
  first one's clicks (Python to Python through the same LiveKit, also encrypted).
Everything runs on one machine, so the two clocks are one. Each click is matched to the
first arrival within 400 ms after it; a click with none counts as lost.

Also printed: the browser's jitter buffer delay for the received clicks (getStats:
jitterBufferDelay / jitterBufferEmittedCount over the measurement).

    .venv/bin/python -m bench.mouth_to_ear [--clicks 200] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import math
import sys
import threading
import time
from pathlib import Path

import numpy as np

from bench._support import (
    app_settings,
    begin_benchmark,
    livekit_and_app,
    percentile,
    ratio,
    save_results,
    seed_accounts,
)
from tests.support.peer import SAMPLE_RATE, TonePeer, write_wav

ROOM = "Bench mouth to ear"
PERIOD_S = 0.5
BURST_S = 0.02
BURST_HZ = 1000.0
AMPLITUDE = 0.5
THRESHOLD = 0.1      # a click's samples reach 0.5; Opus leaves silence far below this
QUIET_S = 0.25       # an onset needs this much quiet before it, so one click counts once
MATCH_WINDOW_S = 0.4
FRAME = SAMPLE_RATE // 100

# Test instrumentation in the page only. Remote tracks are known from the peer connections'
# track events; a node fed from one is marked, and the analyser it reaches is the one the
# app puts after the listener's gain. The microphone gets a tap of its own.
TAPS = """
(() => {
  const THRESHOLD = %(threshold)s, QUIET_MS = %(quiet_ms)s;
  const remote = new Set();
  const taps = [];
  const clicks = { speaker: [], mic: [] };
  window.__m2e = { clicks, taps };
  const watch = (label, analyser) => {
    if (taps.some((tap) => tap.analyser === analyser)) return;
    taps.push({ label, analyser, samples: new Float32Array(analyser.fftSize), lastAt: -1e9 });
  };
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('track', (event) => remote.add(event.track.id));
    }
  };
  const createSource = AudioContext.prototype.createMediaStreamSource;
  AudioContext.prototype.createMediaStreamSource = function (stream) {
    const node = createSource.call(this, stream);
    node.__m2eRemote = stream.getAudioTracks().some((track) => remote.has(track.id));
    return node;
  };
  const connect = AudioNode.prototype.connect;
  AudioNode.prototype.connect = function (destination, ...rest) {
    if (this.__m2eRemote && destination instanceof AudioNode) {
      destination.__m2eRemote = true;
      if (destination instanceof AnalyserNode) watch('speaker', destination);
    }
    return connect.call(this, destination, ...rest);
  };
  const getUserMedia = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = async function (...args) {
    const stream = await getUserMedia.apply(this, args);
    const track = stream.getAudioTracks()[0];
    if (track && !taps.some((tap) => tap.label === 'mic')) {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      connect.call(createSource.call(context, new MediaStream([track.clone()])), analyser);
      watch('mic', analyser);
    }
    return stream;
  };
  setInterval(() => {
    const now = performance.now();
    for (const tap of taps) {
      tap.analyser.getFloatTimeDomainData(tap.samples);
      const first = tap.samples.findIndex((x) => Math.abs(x) > THRESHOLD);
      if (first < 0) continue;
      const rate = tap.analyser.context.sampleRate;
      const at = now - ((tap.samples.length - first) / rate) * 1000;
      if (at - tap.lastAt > QUIET_MS) clicks[tap.label].push(performance.timeOrigin + at);
      tap.lastAt = now;
    }
  }, 3);
})();
""" % {"threshold": THRESHOLD, "quiet_ms": QUIET_S * 1000}

JITTER_BUFFER = """
async () => {
  let delay = 0, emitted = 0;
  for (const pc of window.__testPeerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        delay += r.jitterBufferDelay || 0;
        emitted += r.jitterBufferEmittedCount || 0;
      }
    });
  }
  return { delay, emitted };
}
"""


def click_samples() -> np.ndarray:
    """One period: a 20 ms burst (5 ms fades, so it is a tone, not a pop), then silence."""
    t = np.arange(int(SAMPLE_RATE * BURST_S)) / SAMPLE_RATE
    fade = np.minimum(1.0, np.minimum(t, BURST_S - t) / 0.005)
    period = np.zeros(int(SAMPLE_RATE * PERIOD_S), dtype=np.float32)
    period[:t.size] = AMPLITUDE * fade * np.sin(2 * math.pi * BURST_HZ * t)
    return period


def write_click_file(path: Path, seconds: float) -> Path:
    """The fake microphone's file: clicks every PERIOD_S (Chromium loops it)."""
    return write_wav(path, np.tile(click_samples(), int(seconds / PERIOD_S)))


class ClickPeer(TonePeer):
    """A Python participant that can send clicks and notes when clicks arrive."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[float] = []                 # wall-clock seconds, first sample
        self.heard: dict[str, list[float]] = {}     # identity -> onsets, wall-clock seconds

    async def _listen(self, track, identity: str) -> None:
        from livekit import rtc

        onsets = self.heard.setdefault(identity, [])
        last_loud = -1e9
        async for event in rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1):
            arrived = time.time()
            samples = np.frombuffer(event.frame.data, dtype=np.int16) / 32768
            loud = np.flatnonzero(np.abs(samples) > THRESHOLD)
            if loud.size == 0:
                continue
            at = arrived - (samples.size - loud[0]) / SAMPLE_RATE
            if at - last_loud > QUIET_S:
                onsets.append(at)
            last_loud = arrived

    async def publish_clicks(self) -> None:
        from livekit import rtc

        # A queue of one frame: capture_frame then returns about when the frame is sent, as
        # a microphone delivers it, instead of up to a second ahead (the default queue).
        source = rtc.AudioSource(SAMPLE_RATE, 1, queue_size_ms=10)
        track = rtc.LocalAudioTrack.create_audio_track("clicks", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await self.room.local_participant.publish_track(track, options)
        self._spawn(self._click(source))

    async def _click(self, source) -> None:
        from livekit import rtc

        period = (click_samples() * 32767).astype(np.int16)
        position = 0
        while True:
            frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, FRAME)
            np.copyto(np.frombuffer(frame.data, dtype=np.int16),
                      period[position:position + FRAME])
            if position == 0:
                self.sent.append(time.time())
            await source.capture_frame(frame)
            position = (position + FRAME) % period.size


class PeersThread:
    """The Python peers on an event loop of their own, so the browser never delays them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="peers")
        self.peers: list[ClickPeer] = []

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self, url: str, key: str, tokens: list[str]) -> list[ClickPeer]:
        self.thread.start()

        async def connect(token: str) -> ClickPeer:
            peer = ClickPeer()
            await peer.connect(url, token, e2ee_key=key)
            return peer

        self.peers = [self.run(connect(token)) for token in tokens]
        return self.peers

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        for peer in self.peers:
            with contextlib.suppress(Exception):
                self.run(peer.close(), 10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def latencies_ms(sent: list[float], heard: list[float], since: float, until: float
                 ) -> tuple[list[float], int]:
    """Each click sent in [since, until) matched to the first arrival within the window."""
    heard = sorted(heard)
    found, lost = [], 0
    for at in sent:
        if not since <= at < until:
            continue
        index = bisect.bisect_right(heard, at)
        if index < len(heard) and heard[index] - at <= MATCH_WINDOW_S:
            found.append((heard[index] - at) * 1000)
        else:
            lost += 1
    return found, lost


async def measure(app, livekit, seeded: dict, peers: PeersThread, *, clicks: int,
                  mic_file: Path) -> dict:
    from playwright.async_api import async_playwright, expect

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RECORD_PEER_CONNECTIONS
    from tests.support.live_fixtures import log_in

    sender, floor_listener = peers.peers
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={mic_file}"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            context = await browser.new_context(base_url=app.public_url)
            await context.add_init_script(RECORD_PEER_CONNECTIONS)
            await context.add_init_script(TAPS)
            page = await context.new_page()
            await log_in(page, seeded["users"]["app"].username)
            await page.get_by_role("button", name=ROOM, exact=True).click()
            await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=30_000)
            browser_identity = str(seeded["users"]["app"].id)
            sender_identity = sender.room.local_participant.identity

            def flowing() -> bool:
                return (len(sender.heard.get(browser_identity, [])) >= 3
                        and len(floor_listener.heard.get(sender_identity, [])) >= 3)

            for _ in range(600):  # up to a minute for every path to carry clicks
                speaker_clicks = await page.evaluate("() => window.__m2e.clicks.speaker.length")
                if flowing() and speaker_clicks >= 3:
                    break
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("clicks did not reach every listener within a minute")

            jitter_before = await page.evaluate(JITTER_BUFFER)
            since = time.time()
            print(f"measuring {clicks} clicks each way ({clicks * PERIOD_S:.0f} s)...",
                  file=sys.stderr, flush=True)
            await asyncio.sleep(clicks * PERIOD_S)
            until = time.time()
            await asyncio.sleep(MATCH_WINDOW_S + 0.2)  # the last clicks' arrivals
            jitter_after = await page.evaluate(JITTER_BUFFER)
            page_clicks = await page.evaluate("() => window.__m2e.clicks")
            taps = await page.evaluate("() => window.__m2e.taps.map((tap) => tap.label)")
        finally:
            await browser.close()

    def seconds(values: list[float]) -> list[float]:
        return [value / 1000 for value in values]

    paths = {
        "python_to_browser": latencies_ms(sender.sent, seconds(page_clicks["speaker"]),
                                          since, until),
        "browser_to_python": latencies_ms(seconds(page_clicks["mic"]),
                                          sender.heard.get(browser_identity, []), since, until),
        "python_to_python": latencies_ms(sender.sent,
                                         floor_listener.heard.get(sender_identity, []),
                                         since, until),
    }
    emitted = jitter_after["emitted"] - jitter_before["emitted"]
    jitter_ms = ((jitter_after["delay"] - jitter_before["delay"]) / emitted * 1000
                 if emitted else float("nan"))
    return {"paths": {name: {"ms": found, "lost": lost} for name, (found, lost) in paths.items()},
            "browser_jitter_buffer_ms": jitter_ms, "taps": taps}


def report(data: dict, *, elapsed: float) -> str:
    rows = []
    floor = data["paths"]["python_to_python"]["ms"]
    floor_p50 = percentile(floor, 50)
    labels = {"python_to_browser": "Python -> browser (app)",
              "browser_to_python": "browser (app) -> Python",
              "python_to_python": "floor: Python -> Python"}
    for name, label in labels.items():
        values, lost = data["paths"][name]["ms"], data["paths"][name]["lost"]
        p50 = percentile(values, 50)
        rows.append(f"{label:26}{p50:8.1f}{percentile(values, 95):8.1f}"
                    f"{percentile(values, 99):8.1f}{len(values):>8}{lost:>6}"
                    f"{ratio(p50, floor_p50):9.2f}x")
    return "\n".join([
        "Mouth-to-ear latency on loopback, end-to-end encrypted (ms)",
        f"{'':26}{'p50':>8}{'p95':>8}{'p99':>8}{'clicks':>8}{'lost':>6}{'p50/floor':>10}",
        *rows,
        "",
        f"browser jitter buffer, mean delay of received audio: "
        f"{data['browser_jitter_buffer_ms']:.1f} ms",
        "targets: p50 <= 80 ms each way; <= 1.3x the Python -> Python floor",
        "anchors: LiveKit's own SFU figure 46-54 ms; ITU-T G.114 calls 150 ms one-way good",
        f"wall time {elapsed:.0f} s",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200, help="clicks each way (default 200)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args(argv)
    if not 10 <= args.clicks <= 2000:
        parser.error("--clicks must be 10..2000")

    started = begin_benchmark()
    from distokoloshe import e2ee, livekit_tokens
    peers = PeersThread()
    print("starting LiveKit and the app (the app builds its frontend)...", file=sys.stderr,
          flush=True)
    with livekit_and_app("bench-m2e-", keep=args.keep) as (workdir, livekit, app):
        app.migrate()
        seeded = seed_accounts(app.database_url, ("app", "clicker", "floor"),
                               {"room": ROOM})
        app.start()
        settings = app_settings(livekit, app)
        room = seeded["room"]
        key = e2ee.current_room_key(room, settings=settings)
        tokens = [livekit_tokens.mint_join_token(seeded["users"][role], room,
                                                 settings=settings)
                  for role in ("clicker", "floor")]
        try:
            sender, _floor = peers.start(livekit.url, key, tokens)
            peers.run(sender.publish_clicks())
            mic_file = write_click_file(workdir / "clicks.wav", 30)
            data = asyncio.run(measure(app, livekit, seeded, peers, clicks=args.clicks,
                                       mic_file=mic_file))
        finally:
            peers.stop()  # before LiveKit stops, so the peers leave instead of retrying

    elapsed = time.monotonic() - started
    print(report(data, elapsed=elapsed))
    save_results("mouth_to_ear", {"clicks": args.clicks, "elapsed_s": elapsed, **data})
    lost = sum(path["lost"] for path in data["paths"].values())
    return 0 if lost <= 0.05 * 3 * args.clicks else 1


if __name__ == "__main__":
    sys.exit(main())
