"""What an extension declares: its name, pages, panels, live fields, hooks and call data.

An extension is a module (or package) exposing `extension = Extension(...)`; authors import
these names from `distokoloshe.extend`, the one documented API (docs/extending.md). Nothing
here imports Reflex: a page's component, a panel's render function and a call-data handler
are whatever Reflex objects the extension passes, kept as they are and checked only for the
names and keys that must not clash.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Sequence
from typing import Any

# Bumped when a stable piece below (or in distokoloshe.extend) changes incompatibly; an
# extension says which one it was written for and is refused under any other.
API_VERSION = 1

NAME = re.compile(r"[a-z][a-z0-9_]{1,31}")
ROUTE = re.compile(r"/[a-z0-9][a-z0-9/_-]{0,63}")
KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")


class ExtensionError(ValueError):
    """An extension that cannot be loaded as configured; the message says what to change."""


def listed(setting: str) -> list[str]:
    """The names in EXTENSIONS ("soundboard, polls"), in order, each once."""
    names: list[str] = []
    for raw in (setting or "").split(","):
        name = raw.strip()
        if not name:
            continue
        if not NAME.fullmatch(name):
            raise ExtensionError(f"EXTENSIONS has {name!r}, which is not an extension name "
                                 "(a-z, 0-9 and _, starting with a letter).")
        if name not in names:
            names.append(name)
    return names


class Place(enum.StrEnum):
    """The few stable places a panel can go."""

    LOBBY_SIDEBAR = "lobby_sidebar"   # the lobby's navigation, under the people list
    BESIDE_CALL = "beside_call"       # beside a room's call and chat, while a room is open
    CONTROL_BAR = "control_bar"       # the call's control bar, during a call: a button
    SETTINGS = "settings"             # a section of the call's settings dialog


class Hook(enum.StrEnum):
    """What the core tells extensions about, as it happens (each handler gets one event)."""

    CALL_JOINED = "call_joined"       # CallEvent: LiveKit says someone joined a call
    CALL_LEFT = "call_left"           # CallEvent: ... left it
    ROOM_CREATED = "room_created"     # RoomEvent
    ROOM_DELETED = "room_deleted"     # RoomEvent


@dataclasses.dataclass(frozen=True)
class CallEvent:
    room_id: int
    user_id: int
    display_name: str


@dataclasses.dataclass(frozen=True)
class RoomEvent:
    room_id: int
    name: str


@dataclasses.dataclass(frozen=True)
class Page:
    """A page at its own route. Signed-in only unless `public`; `menu` is its link's text in
    the app's menu ("" for no link)."""

    route: str
    component: Callable[[], Any]
    title: str
    menu: str = ""
    public: bool = False
    on_load: Any = None


@dataclasses.dataclass(frozen=True)
class Panel:
    """`render()` returns the component shown in `place`; `key` names it there."""

    place: Place
    key: str
    render: Callable[[], Any]


@dataclasses.dataclass(frozen=True)
class Extension:
    name: str
    api_version: int = API_VERSION
    title: str = ""
    pages: Sequence[Page] = ()
    panels: Sequence[Panel] = ()
    # LiveFields (distokoloshe.extend.LiveField) whose keys start with "<name>."
    live: Sequence[Any] = ()
    # Hook -> a callable taking the event (plain or async); errors are logged, never raised
    hooks: dict[Hook, Callable[[Any], Any]] = dataclasses.field(default_factory=dict)
    # topic -> an event handler taking (sender_id: int, sender_name: str, data: dict): what
    # another participant of my call sent on that topic (distokoloshe.extend.send_to_call)
    call_data: dict[str, Any] = dataclasses.field(default_factory=dict)

    def check(self) -> None:
        """Raises ExtensionError for a malformed declaration, naming the extension."""
        problems = []
        if not isinstance(self.name, str) or not NAME.fullmatch(self.name):
            problems.append("its name must be 2-32 of a-z, 0-9 and _, starting with a letter")
        if not isinstance(self.api_version, int) or isinstance(self.api_version, bool):
            problems.append("api_version must be an integer")
        elif self.api_version != API_VERSION:
            problems.append(f"it was written for extension API {self.api_version}, and this "
                            f"server has API {API_VERSION}")
        for page in self.pages:
            if not isinstance(page, Page) or not ROUTE.fullmatch(page.route or ""):
                problems.append(f"page {getattr(page, 'route', page)!r} needs a route like "
                                "\"/soundboard\" (lower case, digits, / _ -)")
        for panel in self.panels:
            if (not isinstance(panel, Panel) or not isinstance(panel.place, Place)
                    or not KEY.fullmatch(panel.key or "")):
                problems.append(f"panel {getattr(panel, 'key', panel)!r} needs a Place and a "
                                "key of a-z, 0-9 and _")
        for field in self.live:
            key = getattr(field, "key", "")
            if not isinstance(key, str) or not key.startswith(f"{self.name}."):
                problems.append(f"live field {key!r} must be named \"{self.name}.<topic>\"")
        for hook in self.hooks:
            if not isinstance(hook, Hook):
                problems.append(f"{hook!r} is not a Hook")
        for topic in self.call_data:
            if not isinstance(topic, str) or not KEY.fullmatch(topic):
                problems.append(f"call data topic {topic!r} must be a-z, 0-9 and _")
        if problems:
            raise ExtensionError(f"Extension {self.name!r}: " + "; ".join(problems) + ".")
