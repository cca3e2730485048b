"""The backend's server worker: gunicorn's uvicorn worker exactly as `reflex run --env prod`
runs it (the asyncio loop, h11), but with the websockets library's sans-I/O protocol for
websockets instead of its legacy one, which that library deprecates.

Measured with bench/presence_fanout.py: an idle lobby tab costs the backend about 10 KiB
less (about 90 KiB against 99), at the same fan-out latency and join-storm time; wsproto
saved as much but settled a storm of 200 joins about 25% slower. The sans-I/O protocol also
stops reading a socket until the app has taken its last message, which is the backpressure
the event budget (realtime/flood_guard.py) counts on. rxconfig.py selects this class.
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn.workers import UvicornH11Worker

WORKER_CLASS = "distokoloshe.backend_worker.BackendWorker"


class BackendWorker(UvicornH11Worker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {**UvicornH11Worker.CONFIG_KWARGS,
                                                "ws": "websockets-sansio"}
