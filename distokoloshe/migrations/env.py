"""Alembic environment: runs the package's migrations against the configured URL."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

from distokoloshe import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from distokoloshe.db import make_engine

target_metadata = SQLModel.metadata
url = context.config.get_main_option("sqlalchemy.url")
# an extension's revisions keep their own table (db.alembic_config)
version_table = context.config.get_main_option("version_table") or "alembic_version"


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url) if url.startswith("sqlite") else None
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table: it drops the old one, and with foreign keys
            # on, that would cascade into every row pointing at it. (SQLite ignores this
            # pragma inside a transaction, so it goes before the migrations' own.)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"a migration left references that point nowhere: {broken}")
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
