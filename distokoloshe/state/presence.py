"""Who is online and who is in which call, live in every lobby tab.

The values of `people`, `online` and `rooms` are never set here: presence_hub pushes them
to the browser directly, so this backend copy stays at its defaults by design and nothing
may read or write them back.
"""

from __future__ import annotations

import reflex as rx

from distokoloshe.presence import OverCapacity
from distokoloshe.state.presence_hub import MemberView, PersonView, RoomView, hub
from distokoloshe.state.session import SessionState

__all__ = ["MemberView", "PersonView", "PresenceState", "RoomView"]


class PresenceState(rx.State):
    people: list[PersonView] = []
    online: list[int] = []
    rooms: list[RoomView] = []
    # why this tab was refused (too many tabs, server full), or ""
    over_capacity: str = ""

    async def subscribe(self):
        """Part of the lobby's load (LobbyState.enter, after the sign-in check), and the
        "try again" of a refused tab."""
        user_id = (await self.get_state(SessionState))._verified_user_id
        if not user_id:
            return
        try:
            await hub.subscribe(sid=self.router.session.session_id,
                                conn_id=self.router.session.client_token, user_id=user_id)
        except OverCapacity as refusal:
            self.over_capacity = str(refusal)
            return
        self.over_capacity = ""

    async def try_again(self):
        await self.subscribe()
        if not self.over_capacity:
            from distokoloshe.state.rooms import RoomsState

            return RoomsState.load_lobby
        return None
