"""The `scale` profile through nginx.tls.conf: two backend workers sharing Redis and
PostgreSQL, LiveKit on Redis; a browser registers, joins a call and hears a peer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.deploy.calls import register_join_and_hear_a_peer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _process_group(leader: int) -> list[str]:
    """The command lines of the processes in `leader`'s process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == leader:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):
            continue
    return found


async def test_call_through_nginx_with_workers_on_redis_and_postgres(browser, scaled_tls_stack):
    nginx, backend, livekit = scaled_tls_stack
    health = httpx.get(f"{nginx.origin}/_health", verify=False, timeout=10).json()
    assert health["db"] is True and health.get("redis") is True, health
    # The CLI, gunicorn's master and one process per worker (three in all with one worker).
    assert len(_process_group(backend.process.pid)) == 4
    await register_join_and_hear_a_peer(browser, scaled_tls_stack)
    assert "redis" in (livekit.workdir / "livekit.yaml").read_text()
