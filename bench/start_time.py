"""Start time: how long `./tokoloshe up` makes a person wait when nothing changed.

In a copy of the tree (tests/support/quick_start.py: the sources, with this checkout's venv
and installed frontend packages linked in), it starts the app once to build, then
`--runs` times with nothing changed, each time from launch to the run's "App running" line
and to its first 200 on /login, stopping it in between.

Baseline in the same run, alternated with those starts: the way `up` used to start,
`reflex run --env prod --single-port`, which compiles the pages and makes the production
build every time (run directly, so it is spared the entry script's own setup checks, which
the measured `up` pays for), in a second copy, since a build of its own in the first copy
would rightly make the next `up` build again. Both serve the pages from the backend.

    .venv/bin/python -m bench.start_time [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench._support import (
    begin_benchmark,
    ratio,
    save_results,
)
from tests.support.ports import free_port
from tests.support.quick_start import copy_tree, start_once

UP_TO_DATE = "the frontend is up to date"


def old_way(port: int) -> list[str]:
    return [".venv/bin/reflex", "run", "--env", "prod", "--single-port",
            "--backend-host", "127.0.0.1", "--backend-port", str(port),
            "--frontend-port", str(port)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and its logs")
    args = parser.parse_args()
    begin_benchmark()
    work = Path(tempfile.mkdtemp(prefix="dtk-bench-start-"))
    try:
        tree = copy_tree(work / "tree")
        old_tree = copy_tree(work / "old-tree")
        port = free_port()
        print("first start (builds the frontend)…", file=sys.stderr)
        first, _ = start_once(tree, port)
        up, old = [], []
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs}…", file=sys.stderr)
            unchanged, _ = start_once(tree, port)
            if UP_TO_DATE not in unchanged.log():
                raise SystemExit(f"an unchanged start rebuilt; see {unchanged.log_path}")
            up.append((unchanged.running_after, unchanged.page_after))
            baseline, _ = start_once(old_tree, port, old_way(port))
            old.append((baseline.running_after, baseline.page_after))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    def median(rows, column):
        return statistics.median(row[column] for row in rows)

    results = {"first_start": {"app_running_s": first.running_after,
                               "login_200_s": first.page_after},
               "unchanged_up": up, "old_single_port": old}
    print(f"\nstart time, median of {args.runs} (seconds from launch)")
    print(f"{'':34} {'App running':>12} {'/login 200':>11}")
    print(f"{'./tokoloshe up, nothing changed':34} {median(up, 0):12.2f} {median(up, 1):11.2f}")
    print(f"{'baseline: reflex run --single-port':34} {median(old, 0):12.2f} "
          f"{median(old, 1):11.2f}")
    print(f"{'ratio':34} {ratio(median(up, 0), median(old, 0)):11.2f}x "
          f"{ratio(median(up, 1), median(old, 1)):10.2f}x")
    print(f"{'first up (builds the frontend)':34} {first.running_after:12.2f} "
          f"{first.page_after:11.2f}")
    print(f"target: nothing changed reaches App running in <= 5 s; results in "
          f"{save_results('start_time', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
