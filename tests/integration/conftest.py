"""Fixtures for integration tests against real servers on 127.0.0.1.

`redis_url` is one throwaway redis-server per test run (no persistence), flushed before each
test that uses it. Every test gets fresh random secrets and no `.env`, as in tests/unit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.support import servers
from tests.support.appenv import reset_caches
from tests.support.fixtures import app_env  # noqa: F401  (autouse)


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
