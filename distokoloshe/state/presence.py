"""Who is online and who is in which call, live in every lobby tab.

The values of `people`, `online`, `rooms`, `members_base`, `members_patch` and `live` are never
set here: the presence hub (realtime/presence_hub.py) pushes them to the browser directly,
so this backend copy stays at its defaults by design and nothing may read or write them
back. Who is in a room's call is `members_of(room id)`: the patch's entry if it has one,
else the base's (realtime/room_feed.py says why there are two).
"""

from __future__ import annotations

from typing import Any

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
    members_base: dict[str, list[MemberView]] = {}
    members_patch: dict[str, list[MemberView]] = {}
    # every running extension's live fields, by key (distokoloshe/extend/live.py)
    live: dict[str, Any] = {}
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


def members_of(room_id: rx.Var[int]) -> rx.Var[list[MemberView]]:
    """Who is in a room's call, in the browser: the patch's entry wins over the base's."""
    key = room_id.to_string()
    # a key test, not `get`: an empty list (everyone left) is falsy to Reflex's `get`
    return rx.cond(PresenceState.members_patch.contains(key), PresenceState.members_patch[key],
                   rx.cond(PresenceState.members_base.contains(key),
                           PresenceState.members_base[key], []))
