"""Which extensions load, and what stops the start: each case with real modules and real
distribution metadata on sys.path, found the way an installed package's would be."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from distokoloshe import db, extension_registry, models, routes  # noqa: F401  (models: the core's tables)
from distokoloshe.extension_spec import API_VERSION, ExtensionError, Hook, Place, RoomEvent
from tests.support.extensions import install_distribution

HEADER = """
from distokoloshe.extension_spec import Extension, Page, Panel, Place
def render():
    return None
"""


class Site:
    """A folder on sys.path holding extension modules and their distributions' metadata."""

    def __init__(self, root: Path, monkeypatch) -> None:
        self.root = root
        self.tag = secrets.token_hex(3)   # module names unique to this test
        monkeypatch.syspath_prepend(str(root))
        self._monkeypatch = monkeypatch

    def module(self, stem: str, body: str) -> str:
        name = f"{stem}_{self.tag}"
        (self.root / f"{name}.py").write_text(HEADER + textwrap.dedent(body))
        self._monkeypatch.delitem(sys.modules, name, raising=False)
        return name

    def offer(self, extension: str, module: str, distribution: str = "") -> None:
        install_distribution(self.root, distribution or f"dist-{module}",
                             {extension: f"{module}:extension"})


@pytest.fixture
def site(tmp_path, monkeypatch) -> Site:
    return Site(tmp_path, monkeypatch)


def _extension(site: Site, name: str, declaration: str, *, stem: str = "") -> str:
    module = site.module(stem or name, f"extension = Extension({declaration})\n")
    site.offer(name, module)
    return module


def test_only_listed_extensions_are_imported(site):
    listed = _extension(site, "polls", 'name="polls"')
    unlisted = site.module("notes", 'raise RuntimeError("an unlisted extension was imported")\n')
    site.offer("notes", unlisted)
    active = extension_registry.load("polls")
    assert [extension.name for extension in active.extensions] == ["polls"]
    assert listed in sys.modules
    assert unlisted not in sys.modules


def test_nothing_is_loaded_when_nothing_is_listed(site):
    unlisted = site.module("quiet", 'raise RuntimeError("imported")\n')
    site.offer("quiet", unlisted)
    assert extension_registry.load("").extensions == ()
    assert unlisted not in sys.modules


def test_a_listed_name_nothing_offers_says_what_is_available(site):
    _extension(site, "polls", 'name="polls"')
    with pytest.raises(ExtensionError, match=r"lists 'missing'.*available: .*polls"):
        extension_registry.load("polls, missing")


def test_a_malformed_name_in_the_setting_is_refused():
    with pytest.raises(ExtensionError, match="not an extension name"):
        extension_registry.load("polls, ../etc")


def test_a_module_that_does_not_import_is_named_with_its_error(site):
    site.offer("broken", "no_such_module_" + site.tag)
    with pytest.raises(ExtensionError, match=r"'broken'.*could not be loaded: "
                                             r"ModuleNotFoundError"):
        extension_registry.load("broken")


def test_two_extensions_claiming_one_name_are_refused(site):
    first = site.module("one", 'extension = Extension(name="twin")\n')
    second = site.module("two", 'extension = Extension(name="twin")\n')
    site.offer("twin", first, "first-dist")
    site.offer("twin", second, "second-dist")
    with pytest.raises(ExtensionError, match=r"Two extensions claim the name 'twin' "
                                             r"\(first-dist and second-dist\)"):
        extension_registry.load("twin")


def test_a_name_of_a_builtin_taken_by_an_installed_one_is_refused(site, monkeypatch,
                                                                   tmp_path):
    builtins = tmp_path / "builtins"
    builtins.mkdir()
    (builtins / "shared.py").write_text("")
    monkeypatch.setattr(extension_registry, "BUILTIN_DIR", builtins)
    _extension(site, "shared", 'name="shared"')
    with pytest.raises(ExtensionError, match=r"'shared' \(built in and dist-shared"):
        extension_registry.load("shared")


def test_an_extension_must_call_itself_what_it_is_offered_as(site):
    module = site.module("alias", 'extension = Extension(name="other")\n')
    site.offer("alias", module)
    with pytest.raises(ExtensionError, match="offered as 'alias' but calls itself 'other'"):
        extension_registry.load("alias")


def test_a_module_without_an_extension_object_is_refused(site):
    module = site.module("plain", "extension = 42\n")
    site.offer("plain", module)
    with pytest.raises(ExtensionError, match=r"has no `extension = Extension\(...\)`"):
        extension_registry.load("plain")


def test_an_extension_for_another_api_version_is_refused(site):
    _extension(site, "future", f'name="future", api_version={API_VERSION + 1}')
    with pytest.raises(ExtensionError, match=rf"written for extension API {API_VERSION + 1}"):
        extension_registry.load("future")


@pytest.mark.parametrize(("route", "owner"), [
    ("/admin", "the core"), ("/login", "the core"), ("/check", "the core"),
])
def test_a_core_route_is_refused(site, route, owner):
    _extension(site, "pager", f'name="pager", pages=[Page("{route}", render, "x")]')
    with pytest.raises(ExtensionError, match=f"which {owner} already has"):
        extension_registry.load("pager", reserved_routes=routes.RESERVED)


def test_a_route_under_the_backends_paths_is_refused(site):
    _extension(site, "sneaky", 'name="sneaky", pages=[Page("/api/livekit/x", render, "x")]')
    with pytest.raises(ExtensionError, match="under the core's '/api'"):
        extension_registry.load("sneaky", reserved_routes=("/", "/api"))


def test_two_extensions_wanting_one_route_are_refused(site):
    _extension(site, "first", 'name="first", pages=[Page("/board", render, "x")]')
    _extension(site, "second", 'name="second", pages=[Page("/board", render, "y")]')
    with pytest.raises(ExtensionError,
                       match="'second' wants the route '/board', which first already has"):
        extension_registry.load("first,second")


def test_two_extensions_wanting_one_panel_key_in_a_place_are_refused(site):
    panel = 'panels=[Panel(Place.LOBBY_SIDEBAR, "tools", render)]'
    _extension(site, "left", f'name="left", {panel}')
    _extension(site, "right", f'name="right", {panel}')
    with pytest.raises(ExtensionError, match="panel key 'tools' in lobby_sidebar"):
        extension_registry.load("left,right")


def test_one_panel_key_in_two_places_is_fine(site):
    _extension(site, "left", 'name="left", panels=[Panel(Place.LOBBY_SIDEBAR, "tools", render)]')
    _extension(site, "right", 'name="right", panels=[Panel(Place.SETTINGS, "tools", render)]')
    active = extension_registry.load("left,right")
    assert [p.key for p in active.panels(Place.SETTINGS)] == ["tools"]


def test_a_table_the_core_has_is_refused(site):
    module = site.module("tables", """
        from sqlmodel import Field, SQLModel
        class Mine(SQLModel, table=True):
            __tablename__ = "users"
            id: int = Field(primary_key=True)
        extension = Extension(name="tables")
    """)
    site.offer("tables", module)
    with pytest.raises(ExtensionError, match=r"'tables'.*could not be loaded: .*'users' is "
                                             r"already defined"):
        extension_registry.load("tables")


def test_malformed_declarations_are_named(site):
    _extension(site, "messy", 'name="messy", panels=[Panel("lobby", "Bad Key", render)], '
                              'call_data={"no spaces": None}')
    with pytest.raises(ExtensionError) as refused:
        extension_registry.load("messy")
    assert "panel 'Bad Key' needs a Place" in str(refused.value)
    assert "call data topic 'no spaces'" in str(refused.value)


async def test_hooks_reach_every_extension_and_a_failing_one_stays_contained(site):
    module = site.module("hooked", """
        from distokoloshe.extension_spec import Hook
        heard = []
        async def created(event):
            heard.append(event)
        def broken(event):
            raise RuntimeError("an extension's bug")
        extension = Extension(name="hooked", hooks={Hook.ROOM_CREATED: created,
                                                    Hook.ROOM_DELETED: broken})
    """)
    site.offer("hooked", module)
    active = extension_registry.load("hooked")
    event = RoomEvent(7, "Studio")
    await active.emit(Hook.ROOM_CREATED, event)
    await active.emit(Hook.ROOM_DELETED, event)    # logged, not raised
    active.notify(Hook.ROOM_CREATED, event)        # in the background
    for _ in range(100):
        if len(sys.modules[module].heard) == 2:
            break
        await asyncio.sleep(0.01)
    assert sys.modules[module].heard == [event, event]


def test_an_extensions_migrations_keep_their_own_history(site, tmp_path):
    package = site.root / f"tally_{site.tag}"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text(HEADER + 'extension = Extension(name="tally")\n')
    (package / "migrations" / "t0001_tallies.py").write_text(textwrap.dedent('''
        import sqlalchemy as sa
        from alembic import op
        revision = "t0001"
        down_revision = None
        def upgrade():
            op.create_table("tallies", sa.Column("id", sa.Integer, primary_key=True))
    '''))
    site.offer("tally", package.name)
    url = f"sqlite:///{tmp_path / 'tally.db'}"
    assert extension_registry.migration_dirs("tally") == {"tally": package / "migrations"}
    assert package.name not in sys.modules   # located, not imported

    db.migrate(url, extensions="tally")
    db.migrate(url, extensions="tally")      # again: nothing left to do
    engine = db.make_engine(url)
    try:
        inspector = sa.inspect(engine)
        assert {"tallies", "alembic_version_tally", "users"} <= set(inspector.get_table_names())
        with engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM "
                                                  "alembic_version_tally").scalars().all()
            core = connection.exec_driver_sql("SELECT version_num FROM "
                                              "alembic_version").scalars().all()
    finally:
        engine.dispose()
    assert versions == ["t0001"]
    assert len(core) == 1 and core != versions
    db.migrate(url, extensions="")   # turned off: the core migrates as before
    assert "tallies" not in SQLModel.metadata.tables


def test_the_app_does_not_start_with_an_extension_nothing_offers(tmp_path):
    """What an operator sees: the backend's import of the app stops with the message."""
    env = {**os.environ, "EXTENSIONS": "waves,polls", "APP_ENV": "dev",
           "DATA_DIR": str(tmp_path), "JWT_SECRET": "x" * 40, "E2EE_SECRET": "y" * 40}
    started = subprocess.run([sys.executable, "-c", "import distokoloshe.app"], env=env,
                             cwd=Path(__file__).resolve().parents[2], capture_output=True,
                             text=True, timeout=300)
    assert started.returncode != 0
    assert ("EXTENSIONS lists 'polls', but no extension of that name is built in or "
            "installed") in started.stderr
