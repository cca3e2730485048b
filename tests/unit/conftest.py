"""Fixtures for the domain tests: an isolated environment and a migrated database.

`db_session` runs once on SQLite (a temp file) and once on a real PostgreSQL server (one
throwaway cluster per test run, a fresh database per test). Deselect PostgreSQL with
`-m "not postgres"`.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so `tests.support` imports however pytest was started
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from distokoloshe import db  # noqa: E402
from tests.support import servers  # noqa: E402
from tests.support.appenv import isolate_settings, reset_caches  # noqa: E402


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Fresh random secrets, no `.env`, no cached settings/limiter/hash, for every test."""
    reset_caches()
    values = isolate_settings(monkeypatch, data_dir=tmp_path / "data")
    yield values
    reset_caches()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[servers.PostgresCluster]:
    with servers.postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new database on the test cluster."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    cluster: servers.PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = cluster.create_database(name)
    yield url
    cluster.drop_database(name)


@pytest.fixture
def backend(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgres"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database the real alembic migrations brought to head."""
    db.migrate(db_url)
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()
