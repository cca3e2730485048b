"""Engine, sessions and migrations. SQLite under data/ by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from distokoloshe import extension_registry
from distokoloshe.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _private_sqlite_file(path: str) -> None:
    """The database's directory is made owner-only (0700) when we create it, and the file is
    owner-only (0600) always; SQLite gives its -wal and -shm files the file's mode."""
    if not path or path == ":memory:" or "?" in path:
        return
    file = Path(path)
    if not file.parent.exists():
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(file, os.O_CREAT | os.O_RDWR, 0o600))
    if file.stat().st_mode & 0o077:
        file.chmod(0o600)
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists() and extra.stat().st_mode & 0o077:
            extra.chmod(0o600)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///"):
            _private_sqlite_file(url.removeprefix("sqlite:///"))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@functools.cache
def get_engine() -> Engine:
    return make_engine(get_settings().effective_database_url)


@contextlib.contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str, *, extension: str = "", versions: Path | None = None
                   ) -> AlembicConfig:
    # Migrations live inside the package, so no alembic.ini sits at the repo root
    # and the installed wheel carries them.
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if extension:
        # An extension's revisions, recorded in a version table of its own: its history
        # never mixes with the core's, and turning it off leaves the core's untouched.
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", str(versions).replace("%", "%%"))
        config.set_main_option("version_table", f"alembic_version_{extension}")
    return config


def migrate(url: str | None = None, *, extensions: str | None = None) -> None:
    """Bring the database to the newest schema: the core's, then each listed extension's
    (EXTENSIONS by default). Safe to run on every start."""
    settings = get_settings()
    url = url or settings.effective_database_url
    if url.startswith("sqlite:///"):
        _private_sqlite_file(url.removeprefix("sqlite:///"))
    command.upgrade(alembic_config(url), "head")
    listed = settings.extensions if extensions is None else extensions
    for name, versions in extension_registry.migration_dirs(listed).items():
        command.upgrade(alembic_config(url, extension=name, versions=versions), "heads")


if __name__ == "__main__":
    migrate()
    print("database is at the newest schema")
