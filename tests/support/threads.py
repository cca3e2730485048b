"""Running a test's transactions at the same moment, on threads of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(work: Callable[[int, threading.Barrier], None], n: int, *,
                timeout: float = 60.0) -> None:
    """work(i, start) for i in 0..n-1, each on its own thread; every one waits at `start`
    (a barrier for all n) where it wants them to race, and all have finished on return."""
    start = threading.Barrier(n)
    threads = [threading.Thread(target=work, args=(i, start)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a transaction never finished"
