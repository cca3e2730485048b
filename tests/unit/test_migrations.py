"""The packaged alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, select

from distokoloshe import accounts, db, models, passwords, rooms
from distokoloshe.models import User
from distokoloshe.settings import get_settings


def _head() -> str:
    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


def _current_revision(url: str) -> str | None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_empty_database_is_migrated_to_head_with_the_tables(db_url):
    assert _current_revision(db_url) is None
    db.migrate(db_url)
    engine = db.make_engine(db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"users", "rooms", "alembic_version"} <= tables
    assert _current_revision(db_url) == _head()


def test_migrating_twice_is_harmless_and_keeps_data(db_url):
    db.migrate(db_url)
    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session:
            session.add(User(username="keep", username_key="keep", display_name="Keep",
                             password_hash="x"))
            session.commit()
        db.migrate(db_url)
        with Session(engine) as session:
            assert session.exec(select(User.username)).all() == ["keep"]
    finally:
        engine.dispose()
    assert _current_revision(db_url) == _head()


CORE_TABLES = frozenset(
    model.__tablename__ for model in vars(models).values()
    if isinstance(model, type) and issubclass(model, SQLModel) and hasattr(model, "__table__"))


def _core_only(_object, name, type_, _reflected, _compare_to) -> bool:
    # An extension this process imported (the hostile-client suite imports the app with the
    # suite's extensions) adds its tables to the same metadata; they have migrations of
    # their own, checked with the extension.
    return type_ != "table" or name in CORE_TABLES


def test_migrated_schema_matches_the_models(db_url):
    db.migrate(db_url)
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True,
                                  "include_object": _core_only})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert models.User.__table__ is SQLModel.metadata.tables["users"]
    assert differences == []


def test_foreign_keys_carry_their_delete_rules(db_url):
    db.migrate(db_url)
    engine = db.make_engine(db_url)
    try:
        inspector = sa.inspect(engine)
        users_fks = inspector.get_foreign_keys("users")
        rooms_fks = inspector.get_foreign_keys("rooms")
        unique = {index["name"]: index["unique"] for index in inspector.get_indexes("users")}
        unique |= {index["name"]: index["unique"] for index in inspector.get_indexes("rooms")}
    finally:
        engine.dispose()
    [last_room] = [fk for fk in users_fks if fk["constrained_columns"] == ["last_room_id"]]
    assert last_room["referred_table"] == "rooms"
    assert (last_room.get("options") or {}).get("ondelete", "").upper() == "SET NULL"
    [owner] = [fk for fk in rooms_fks if fk["constrained_columns"] == ["owner_id"]]
    assert owner["referred_table"] == "users"
    assert (owner.get("options") or {}).get("ondelete", "").upper() == "CASCADE"
    assert bool(unique["ix_users_username_key"]) is True
    assert bool(unique["ix_rooms_name_key"]) is True


def test_default_url_comes_from_settings(app_env):
    # migrate() with no URL uses DATA_DIR's SQLite file, creating the directory.
    db.migrate()
    assert (Path(app_env["DATA_DIR"]) / "distokoloshe.db").exists()
    assert _current_revision(get_settings().effective_database_url) == _head()


def test_a_deleted_rooms_id_is_never_given_to_a_new_room(db_session, make_user):
    owner = make_user("owner")
    rooms.create_room(session=db_session, user=owner, name="First")
    newest = rooms.create_room(session=db_session, user=owner, name="Newest")
    rooms.delete_room(session=db_session, user=owner, room_id=newest.id)
    db_session.commit()

    after = rooms.create_room(session=db_session, user=owner, name="After")

    assert after.id > newest.id


def test_rebuilding_the_rooms_table_keeps_everything_that_points_at_rooms(tmp_path):
    """Migrating a database of the previous schema keeps the rooms' ids, removals, volumes
    and each user's last room (none of the rows pointing at rooms cascade away)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(db.alembic_config(url), "0005")
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (id, username, username_key, display_name, password_hash,"
                " token_version, created_at) VALUES (1, 'o', 'o', 'O', 'x', 0, '2026-01-01'),"
                " (2, 'g', 'g', 'G', 'x', 0, '2026-01-01')")
            connection.exec_driver_sql(
                "INSERT INTO rooms (id, name, name_key, owner_id, encryption_required,"
                " key_epoch, key_salt, created_at) VALUES (7, 'Den', 'den', 1, 1, 3, 'ab',"
                " '2026-01-01')")
            connection.exec_driver_sql("UPDATE users SET last_room_id = 7")
            connection.exec_driver_sql(
                "INSERT INTO room_removals (room_id, user_id, removed_at) VALUES (7, 2,"
                " '2026-01-01')")
        db.migrate(url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT id, key_epoch FROM rooms").fetchall() == [(7, 3)]
            assert connection.exec_driver_sql(
                "SELECT last_room_id FROM users ORDER BY id").fetchall() == [(7,), (7,)]
            assert connection.exec_driver_sql(
                "SELECT room_id, user_id FROM room_removals").fetchall() == [(7, 2)]
            assert "AUTOINCREMENT" in connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'rooms'").scalar()
    finally:
        engine.dispose()



def _sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("file modes are SQLite's")


def test_the_sqlite_database_and_its_new_directory_are_owner_only(db_url, tmp_path):
    _sqlite_only(db_url)
    url = f"sqlite:///{tmp_path / 'fresh' / 'data' / 'app.db'}"
    db.migrate(url)
    path = tmp_path / "fresh" / "data" / "app.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0


def test_an_existing_world_readable_database_is_made_owner_only(db_url, tmp_path):
    _sqlite_only(db_url)
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    db.migrate(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_0007_keys_display_names_and_keeps_accounts_that_already_look_alike(db_url):
    command.upgrade(db.alembic_config(db_url), "0005")
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as connection:
            for number, name in enumerate(("Alice", "\u0430lice", "ALICE", "Bob")):  # Cyrillic а
                connection.execute(sa.text(
                    "INSERT INTO users (username, username_key, display_name, password_hash,"
                    " token_version, created_at) VALUES (:u, :u, :d, 'x', 0, :now)"),
                    {"u": f"user{number}", "d": name,
                     "now": datetime.now(timezone.utc)})
        command.upgrade(db.alembic_config(db_url), "head")
        with Session(engine) as session:
            keys = {user.display_name: user.display_name_key
                    for user in session.exec(select(User).order_by(User.id))}
            assert keys == {"Alice": "allce", "\u0430lice": None, "ALICE": None, "Bob": "bob"}
            with pytest.raises(accounts.DisplayNameTaken):
                accounts.register(session=session, username="newcomer",
                                  password="correct horse battery", display_name="alice")
        unique = {index["name"]: index["unique"]
                  for index in sa.inspect(engine).get_indexes("users")}
        assert bool(unique["ix_users_display_name_key"]) is True
        assert "ended_sessions" in sa.inspect(engine).get_table_names()
        command.downgrade(db.alembic_config(db_url), "0005")
        assert "ended_sessions" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0008_makes_the_oldest_account_the_admin_and_keeps_rooms_public(db_url):
    """An install from before admins and private rooms: its oldest account runs it, its
    rooms stay open to everyone, and its users sign in as before."""
    command.upgrade(db.alembic_config(db_url), "0007")
    engine = db.make_engine(db_url)
    try:
        with engine.begin() as connection:
            for name in ("first", "second"):
                connection.execute(sa.text(
                    "INSERT INTO users (username, username_key, display_name,"
                    " display_name_key, password_hash, token_version, created_at)"
                    " VALUES (:u, :u, :u, :u, :hash, 0, :now)"),
                    {"u": name, "now": datetime.now(timezone.utc),
                     "hash": passwords.hash_password("correct horse battery")})
            connection.execute(sa.text(
                "INSERT INTO rooms (name, name_key, owner_id, encryption_required, key_epoch,"
                " key_salt, created_at) VALUES ('Den', 'den', 2, true, 0, 'ab', :now)"),
                {"now": datetime.now(timezone.utc)})
        command.upgrade(db.alembic_config(db_url), "head")
        with Session(engine) as session:
            admins = {user.username: user.is_admin for user in session.exec(select(User))}
            assert admins == {"first": True, "second": False}
            [den] = session.exec(select(models.Room)).all()
            assert den.private is False
            assert accounts.authenticate(session=session, username="second",
                                         password="correct horse battery") is not None
    finally:
        engine.dispose()
