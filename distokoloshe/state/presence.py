"""Who is online and who is in which call, live in every lobby tab.

The values of `people`, `online` and `rooms` are never set here: the presence hub
(realtime/presence_hub.py) pushes them to the browser directly, so this backend copy stays
at its defaults by design and nothing may read or write them back.
"""

from __future__ import annotations

import reflex as rx

from distokoloshe.presence import OverCapacity
from distokoloshe.realtime.presence_hub import hub
from distokoloshe.realtime.views import MemberView, PersonView, RoomView
from distokoloshe.state.session import SignedIn

__all__ = ["MemberView", "PersonView", "PresenceState", "RoomView"]


class PresenceState(SignedIn, rx.State):
    people: list[PersonView] = []
    online: list[int] = []
    rooms: list[RoomView] = []
    # why this tab was refused (too many tabs, server full), or ""
    over_capacity: str = ""

    @rx.event
    async def subscribe(self):
        """Part of the lobby's load (LobbyState.enter, after the sign-in check)."""
        user_id, _name = await self._verified()
        if not user_id:
            return
        try:
            await hub.subscribe(sid=self.router.session.session_id,
                                conn_id=self.router.session.client_token, user_id=user_id,
                                session_token=await self._session_token())
        except OverCapacity as refusal:
            self.over_capacity = str(refusal)
            return
        self.over_capacity = ""

    @rx.event
    async def try_again(self):
        """A refused tab asks again; its button then loads the lobby's room
        (RoomsState.load_lobby), which stays away while the tab is still refused."""
        await self.subscribe()
