"""Which extensions run: found by name, loaded only when the operator lists them, checked
against each other and the core before the app starts.

Two sources offer extensions by name: the built-ins (modules and packages under
`distokoloshe/extensions/`) and the `distokoloshe.extensions` entry-point group of installed
packages. Only the names in the EXTENSIONS setting are imported; anything else installed is
never loaded. A listed name that nothing offers, a name two sources offer, a route, panel key
or table two parties claim, and an extension for another API version stop the start with an
ExtensionError that says what to change.

The app (app.py) activates the set once per process; the pages, the places and the hooks
read it through `active()`. Migrations (db.migrate) only locate each listed extension's
`migrations/` folder, without importing it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import pkgutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

from distokoloshe.extension_spec import Extension, ExtensionError, Hook, Panel, Place, listed

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "distokoloshe.extensions"
BUILTIN_PACKAGE = "distokoloshe.extensions"
BUILTIN_DIR = Path(__file__).resolve().parent / "extensions"


@dataclasses.dataclass(frozen=True)
class Offer:
    """Something that offers an extension under a name, before it is imported."""

    name: str
    module: str
    attribute: str     # the module's attribute holding the Extension
    origin: str        # "built in", or the installed distribution's name


def offers() -> dict[str, list[Offer]]:
    """Every name something offers, built in or installed."""
    found: dict[str, list[Offer]] = {}
    for module in pkgutil.iter_modules([str(BUILTIN_DIR)]):
        if not module.name.startswith("_"):
            found.setdefault(module.name, []).append(
                Offer(module.name, f"{BUILTIN_PACKAGE}.{module.name}", "extension", "built in"))
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        module, _, attribute = point.value.partition(":")
        origin = point.dist.name if point.dist is not None else "an installed package"
        found.setdefault(point.name, []).append(
            Offer(point.name, module.strip(), attribute.strip() or "extension", origin))
    return found


def _offer_for(name: str, offered: dict[str, list[Offer]]) -> Offer:
    found = offered.get(name, [])
    if not found:
        known = ", ".join(sorted(offered)) or "none"
        raise ExtensionError(f"EXTENSIONS lists {name!r}, but no extension of that name is "
                             f"built in or installed (available: {known}).")
    if len(found) > 1:
        origins = " and ".join(offer.origin for offer in found)
        raise ExtensionError(f"Two extensions claim the name {name!r} ({origins}); uninstall "
                             "one, or rename it.")
    return found[0]


def _import(offer: Offer) -> tuple[Extension, frozenset[str]]:
    """The offer's Extension, and the tables its import defined."""
    before = set(SQLModel.metadata.tables)
    try:
        module = importlib.import_module(offer.module)
    except Exception as error:  # any failure of someone else's module stops the start
        raise ExtensionError(f"Extension {offer.name!r} ({offer.module}) could not be loaded: "
                             f"{type(error).__name__}: {error}") from error
    extension = getattr(module, offer.attribute, None)
    if not isinstance(extension, Extension):
        raise ExtensionError(f"{offer.module} has no `{offer.attribute} = Extension(...)`, so "
                             f"it is not a disTokoloshe extension.")
    extension.check()
    if extension.name != offer.name:
        raise ExtensionError(f"{offer.module} is offered as {offer.name!r} but calls itself "
                             f"{extension.name!r}; the two names must be the same.")
    return extension, frozenset(set(SQLModel.metadata.tables) - before)


def migrations_dir(offer: Offer) -> Path | None:
    """The `migrations/` folder beside a package extension's __init__.py, if it has one."""
    spec = importlib.util.find_spec(offer.module)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / "migrations"
        if folder.is_dir():
            return folder
    return None


def migration_dirs(setting: str) -> dict[str, Path]:
    """Each listed extension's migrations folder, by name; imports none of them."""
    offered = offers()
    dirs = {}
    for name in listed(setting):
        folder = migrations_dir(_offer_for(name, offered))
        if folder is not None:
            dirs[name] = folder
    return dirs


@dataclasses.dataclass(frozen=True)
class Active:
    """The extensions this process runs, checked against each other and the core."""

    extensions: tuple[Extension, ...] = ()
    tables: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)

    def panels(self, place: Place) -> list[Panel]:
        return [panel for extension in self.extensions for panel in extension.panels
                if panel.place == place]

    def pages(self) -> list[tuple[Extension, Any]]:
        return [(extension, page) for extension in self.extensions for page in extension.pages]

    def live_fields(self) -> list[Any]:
        return [field for extension in self.extensions for field in extension.live]

    def named(self, name: str) -> Extension | None:
        return next((e for e in self.extensions if e.name == name), None)

    def call_data_handler(self, name: str, topic: str) -> Any:
        extension = self.named(name)
        return extension.call_data.get(topic) if extension else None

    def notify(self, hook: Hook, event: Any) -> None:
        """Tells every extension with a handler for `hook`, in the background: the core's
        caller (a click, a webhook) never waits on an extension."""
        if any(hook in extension.hooks for extension in self.extensions):
            task = asyncio.get_running_loop().create_task(self.emit(hook, event))
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    async def emit(self, hook: Hook, event: Any) -> None:
        """Runs every handler for `hook` in turn; a failing or hanging one is logged and
        never reaches the caller."""
        for extension in self.extensions:
            handler = extension.hooks.get(hook)
            if handler is None:
                continue
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, timeout=10)
            except Exception:
                log.exception("extension %s: its %s hook failed", extension.name, hook.value)


def _check_clashes(extensions: Iterable[Extension], reserved_routes: Iterable[str]) -> None:
    reserved = tuple(reserved_routes)
    owners: dict[str, str] = {route: "the core" for route in reserved}
    slots: dict[tuple[Place, str], str] = {}
    for extension in extensions:
        for page in extension.pages:
            under = next((route for route in reserved
                          if route != "/" and page.route.startswith(f"{route}/")), None)
            if under is not None:
                raise ExtensionError(f"Extension {extension.name!r} wants the route "
                                     f"{page.route!r}, under the core's {under!r}.")
            owner = owners.setdefault(page.route, extension.name)
            if owner != extension.name:
                raise ExtensionError(f"Extension {extension.name!r} wants the route "
                                     f"{page.route!r}, which {owner} already has.")
        for panel in extension.panels:
            owner = slots.setdefault((panel.place, panel.key), extension.name)
            if owner != extension.name:
                raise ExtensionError(f"Extension {extension.name!r} wants the panel key "
                                     f"{panel.key!r} in {panel.place.value}, which {owner} "
                                     "already has.")


def load(setting: str, *, reserved_routes: Iterable[str] = ()) -> Active:
    """Imports and checks the listed extensions; raises ExtensionError to stop the start."""
    offered = offers()
    loaded: list[Extension] = []
    tables: dict[str, frozenset[str]] = {}
    for name in listed(setting):
        extension, new_tables = _import(_offer_for(name, offered))
        loaded.append(extension)
        tables[name] = new_tables
    _check_clashes(loaded, reserved_routes)
    return Active(tuple(loaded), tables)


_active = Active()
_pending: set[asyncio.Task] = set()   # hooks still running (a task needs a reference)


def activate(setting: str, *, reserved_routes: Iterable[str] = ()) -> Active:
    """Loads the listed extensions as this process's set (app.py, once at import)."""
    global _active
    _active = load(setting, reserved_routes=reserved_routes)
    return _active


def active() -> Active:
    return _active
