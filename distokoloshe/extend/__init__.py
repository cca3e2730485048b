"""The extension API: everything an extension may import from disTokoloshe, and all it needs.

An extension is a module or package that exposes `extension = Extension(...)` and imports
nothing of the core but this package (docs/extending.md is the guide; ARCHITECTURE.md lists
what is stable). What it can add:

- pages (`Page`), signed-in only unless public, each with a link in the user menu;
- panels (`Panel`) in the few `Place`s the core keeps for them;
- states: `class MyState(SignedIn, rx.State)`, acting for the verified user through
  `await self._as_user(fn, ...)`, which runs `fn(session=..., user=..., ...)` in one
  transaction (identity never comes from event arguments);
- tables (SQLModel) with migrations of its own, in a `migrations/` folder beside its
  `__init__.py`, applied at start after the core's, with a version table of its own;
- live fields (`LiveField`), pushed to every lobby tab through the presence broadcast;
- hooks (`Hook`): someone joined or left a call, a room was created or deleted;
- the call bridge (`send_to_call`, `play_clip`, `clip_volume`): data messages to my call,
  with the sender's verified identity attached, and a clip played into it as a track of
  its own, with a volume and mute for each listener (extend/call_bridge.py).
"""

from distokoloshe.admin import is_active_admin as is_admin
from distokoloshe.db import session_scope
from distokoloshe.extend.call_bridge import (
    MAX_CLIP_BYTES,
    MAX_DATA_BYTES,
    clip_volume,
    clip_volumes,
    play_clip,
    send_to_call,
)
from distokoloshe.extend.live import LiveField
from distokoloshe.extension_spec import (
    API_VERSION,
    CallEvent,
    Extension,
    ExtensionError,
    Hook,
    Page,
    Panel,
    Place,
    RoomEvent,
)
from distokoloshe.models import User
from distokoloshe.ratelimit import Refusal
from distokoloshe.ratelimit import hit_extension as rate_limit
from distokoloshe.state.session import NotSignedIn, SignedIn

__all__ = [
    "API_VERSION",
    "MAX_CLIP_BYTES",
    "MAX_DATA_BYTES",
    "CallEvent",
    "Extension",
    "ExtensionError",
    "Hook",
    "LiveField",
    "NotSignedIn",
    "Page",
    "Panel",
    "Place",
    "Refusal",
    "RoomEvent",
    "SignedIn",
    "User",
    "clip_volume",
    "clip_volumes",
    "is_admin",
    "play_clip",
    "rate_limit",
    "send_to_call",
    "session_scope",
]
