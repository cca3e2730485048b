"""Fixtures for the domain tests: an isolated environment and a migrated database.

`db_session` runs once on SQLite (a fresh, migrated temp file per test) and once on a real
PostgreSQL server (one throwaway cluster per test run; one database migrated once per run and
emptied before each test). `db_url` gives never-migrated databases for the migration tests.
Deselect PostgreSQL with `-m "not postgres"`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from distokoloshe import db, models  # noqa: F401  (models: the tables to empty)
from tests.support import servers
from tests.support.fixtures import app_env, cheap_hashing  # noqa: F401  (app_env: autouse)


@pytest.fixture(autouse=True)
def _hashing(request: pytest.FixtureRequest) -> None:
    """The domain tests hash at bcrypt's lowest cost (each real hash costs a third of a
    second); tests marked real_hashing (test_passwords.py) get the real cost."""
    if request.node.get_closest_marker("real_hashing") is None:
        request.getfixturevalue("cheap_hashing")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[servers.PostgresCluster]:
    with servers.postgres_cluster() as cluster:
        yield cluster


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _new_database(cluster: servers.PostgresCluster) -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    return name, cluster.create_database(name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, never migrated database: a SQLite file or a new PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    cluster: servers.PostgresCluster = request.getfixturevalue("postgres_cluster")
    name, url = _new_database(cluster)
    yield url
    cluster.drop_database(name)


@pytest.fixture(scope="session")
def postgres_migrated_url(postgres_cluster: servers.PostgresCluster) -> Iterator[str]:
    """One PostgreSQL database per test run, migrated once; tests get it with empty tables."""
    name, url = _new_database(postgres_cluster)
    db.migrate(url)
    yield url
    postgres_cluster.drop_database(name)


def _empty_tables(engine: Engine) -> None:
    # an extension imported by a test (the soundboard's models) has tables the core's
    # migrations do not make
    present = set(inspect(engine).get_table_names())
    tables = [table for table in SQLModel.metadata.sorted_tables if table.name in present]
    with engine.begin() as connection:
        connection.execute(text(
            "TRUNCATE " + ", ".join(f'"{table.name}"' for table in tables)
            + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database that the real alembic migrations brought to head.

    SQLite: a fresh file migrated for this test. PostgreSQL: the run's migrated database,
    its tables emptied (and ids restarted) before each test.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        db.migrate(url)
        engine = db.make_engine(url)
    else:
        engine = db.make_engine(request.getfixturevalue("postgres_migrated_url"))
        _empty_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def make_user(db_session):
    """Adds a user straight to the database (no bcrypt) and returns it."""
    from distokoloshe.models import User

    def make(name: str) -> User:
        user = User(username=name, username_key=name, display_name=name, password_hash="x")
        db_session.add(user)
        db_session.flush()
        return user

    return make
