"""CPU time from /proc for benchmarks: per process tree (a browser launch, LiveKit, the
backend) and for every other thread on the machine, as CPU seconds per wall second."""

from __future__ import annotations

import os
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")

def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime+stime+cutime+cstime in ticks) for every process now."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                raw = handle.read()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2:].split()
        # fields[0] is state (field 3); ppid is field 4, utime..cstime fields 14..17
        table[int(entry.name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    return table


def _tree_ticks(table: dict[int, tuple[int, int]], root: int | None) -> int:
    """CPU ticks of a process and all its live descendants (children reaped inside the tree
    are in their parent's cutime/cstime, so the sum only grows)."""
    if root is None or root not in table:
        return 0
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo, seen = 0, [root], set()
    while todo and len(seen) < 10_000:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += table[pid][1]
        todo.extend(children.get(pid, ()))
    return total


def _machine_busy_ticks() -> int:
    with open("/proc/stat") as handle:
        values = [int(x) for x in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values[:8]) - idle  # user..steal; guest time is already in user


def _all_threads_ns() -> int:
    """Run time (ns, from schedstat) of every live thread on the machine."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            for tid in os.listdir(f"/proc/{entry.name}/task"):
                with open(f"/proc/{entry.name}/task/{tid}/schedstat") as handle:
                    total += int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def cpu_snapshot(roots: dict[str, int | None]) -> dict:
    table = _proc_table()
    return {"t": time.monotonic(), "machine": _machine_busy_ticks(), "threads": _all_threads_ns(),
            **{name: _tree_ticks(table, pid) for name, pid in roots.items()}}


def cpu_per_second(before: dict, after: dict, names: list[str]) -> dict[str, float]:
    """CPU seconds per wall second of each tree; `others` is every other live thread (their
    schedstat run time, this script included), `total` the sum. The busy time in /proc/stat is
    kept for the record only: it is sampled at timer ticks, which miss much of an idle call's
    short wake-ups here (it read half the browsers' own figures in some idle windows)."""
    wall = after["t"] - before["t"]
    rates = {name: (after[name] - before[name]) / CLK_TCK / wall for name in names}
    rates["others"] = ((after["threads"] - before["threads"]) / 1e9 / wall
                       - sum(rates[name] for name in names))
    rates["total"] = sum(rates[name] for name in names) + rates["others"]
    rates["proc_stat_busy"] = (after["machine"] - before["machine"]) / CLK_TCK / wall
    rates["wall_s"] = wall
    return rates


def find_browser_root(tag: str, timeout: float = 10.0) -> int:
    """The pid of the Chromium launch whose command line carries `tag` (its own tree's root)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tagged = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                argv = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
                if tag.encode() in argv:
                    tagged[int(entry.name)] = _proc_table_ppid(int(entry.name))
            except OSError:
                continue
        roots = [pid for pid, ppid in tagged.items() if ppid not in tagged]
        if len(roots) == 1:
            return roots[0]
        time.sleep(0.2)
    raise RuntimeError(f"could not find the Chromium process tagged {tag}")


def _proc_table_ppid(pid: int) -> int:
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    return int(raw[raw.rfind(b")") + 2:].split()[1])

