"""Fixtures for integration tests against real servers on 127.0.0.1.

`redis_url` is one throwaway redis-server per test run (no persistence), flushed before each
test that uses it. Every test gets fresh random secrets and no `.env`, as in tests/unit.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so `tests.support` imports however pytest was started
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from tests.support import servers  # noqa: E402
from tests.support.appenv import isolate_settings, reset_caches  # noqa: E402


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    reset_caches()
    values = isolate_settings(monkeypatch, data_dir=tmp_path / "data")
    yield values
    reset_caches()


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    with servers.redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The run's Redis, emptied, and named by REFLEX_REDIS_URL as a scaled deployment does."""
    client = redis.Redis.from_url(redis_server_url)
    try:
        client.flushdb()
    finally:
        client.close()
    monkeypatch.setenv("REFLEX_REDIS_URL", redis_server_url)
    reset_caches()
    yield redis_server_url
    reset_caches()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()
