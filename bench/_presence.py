"""What the presence benchmarks (bench/presence_fanout.py and its baseline,
bench/presence_baseline.py) measure with: a change's latency to every headless tab, and the
memory of a server's process tree."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
import subprocess
import time

CHANGES_PER_SIZE = 30
CHANGE_INTERVAL = 0.5          # 2 changes per second


@contextlib.contextmanager
def no_collector_pauses():
    """The measuring client holds hundreds of tabs; a full collection of its own takes up to
    ~90 ms and would be counted as the server's latency. Its long-lived objects are frozen
    and automatic collection is off while it measures."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100): always one of the measured values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_times() -> list[int]:
    """The machine's CPU time so far, from /proc/stat (user, nice, system, idle, iowait, irq,
    softirq, steal, ...), in clock ticks."""
    with open("/proc/stat") as stat:
        return [int(n) for n in stat.readline().split()[1:]]


def stolen_share(before: list[int], after: list[int]) -> float:
    """The share of CPU time the hypervisor gave to other machines in between (steal): a
    busy host makes every figure of a run slower, the floor's too."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / max(1, sum(spent[:8]))


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (the server's workers)."""
    table = [line.split() for line in subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True).stdout.splitlines()]
    children: dict[int, list[tuple[int, int]]] = {}
    for child, parent, rss in table:
        children.setdefault(int(parent), []).append((int(child), int(rss)))
    total, stack = 0, [pid]
    rss_of = {int(child): int(rss) for child, _, rss in table}
    while stack:
        current = stack.pop()
        total += rss_of.get(current, 0)
        stack += [child for child, _ in children.get(current, [])]
    return total


async def until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


async def measure(tabs, trigger, changes: int = CHANGES_PER_SIZE) -> dict:
    """`changes` changes at 2 per second through `trigger(marker)`; the latency of each from
    just before the trigger to its arrival at every tab (late arrivals count, up to 10 s)."""
    await trigger("warm-up")  # the first change of a run pays for imports and caches
    await asyncio.sleep(CHANGE_INTERVAL)
    sent = {}
    cpu_before = cpu_times()
    with no_collector_pauses():
        for n in range(changes):
            marker = f"mark-{n}-{secrets.token_hex(3)}"
            for tab in tabs:
                tab.markers.append(marker)
            sent[marker] = time.perf_counter()
            await trigger(marker)
            await asyncio.sleep(max(0.0, sent[marker] + CHANGE_INTERVAL - time.perf_counter()))
        await until(lambda: all(len(tab.watch) >= len(tab.markers) for tab in tabs), 10)
    steal = stolen_share(cpu_before, cpu_times())
    latencies = [(tab.watch[m] - t) * 1000 for m, t in sent.items() for tab in tabs
                 if m in tab.watch]
    chars = [len(text) for marker in sent for _, text in tabs[0].frames if marker in text]
    for tab in tabs:
        tab.markers.clear()
        tab.watch.clear()
    if not latencies:
        latencies = [float("nan")]
    return {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99), "max": max(latencies),
            "missed": len(sent) * len(tabs) - len(latencies), "samples": len(latencies),
            # the size of the frame a change arrived in (median), for the floor to match
            "chars": sorted(chars)[len(chars) // 2] if chars else 0, "steal": steal}


def row(label: str, result: dict) -> str:
    return (f"{label:<34} p50 {result['p50']:6.1f}  p95 {result['p95']:6.1f}  "
            f"p99 {result['p99']:6.1f}  max {result['max']:6.1f} ms   "
            f"({result['samples']} arrivals, {result['missed']} missed, "
            f"{100 * result['steal']:.1f}% stolen)")

