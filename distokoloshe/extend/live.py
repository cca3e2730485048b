"""Live fields: a small value an extension publishes, pushed to every lobby tab through the
presence hub's one broadcast (the path presence itself takes), across workers when scaled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from distokoloshe.realtime.presence_hub import hub
from distokoloshe.state.presence import PresenceState


class LiveField:
    """`key` is "<extension>.<topic>"; `default` is what tabs show before anything was
    published; `load()` (optional, run on a worker thread) reads the current value when the
    backend starts with none stored, e.g. from the extension's table. Every value must be
    JSON-able and small: each publish sends it whole to every lobby tab."""

    def __init__(self, key: str, default: Any, *, load: Callable[[], Any] | None = None,
                 type_: Any = None) -> None:
        self.key, self.default, self.load = key, default, load
        self._type = type_ if type_ is not None else type(default)

    @property
    def var(self) -> rx.Var:
        """The value in the browser, for components: updates by itself."""
        return PresenceState.live.get(self.key, self.default).to(self._type)

    async def publish(self, value: Any) -> None:
        """Sends `value` to every lobby tab (and keeps it for tabs that open later)."""
        await hub.publish_live(self.key, value)

    async def add(self, delta: int = 1) -> int:
        """For a field that counts: adds `delta` at once (no lost update when many tabs add
        together, on any worker), sends the total to every lobby tab and returns it. The
        count starts at 0, or at what `load()` read."""
        return await hub.add_live(self.key, delta)
