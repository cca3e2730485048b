"""The lobby's on_load: one event instead of one per state.

Every tab that opens the lobby runs this; as one event it costs the backend one state load,
one lock and one delta, which is what lets a storm of joins (everyone reconnecting after a
restart) settle quickly. The steps stay with the states that own them.
"""

from __future__ import annotations

import reflex as rx

from distokoloshe.state.preferences import PreferencesState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState


class LobbyState(rx.State):
    @rx.event
    async def enter(self):
        """The lobby page's on_load."""
        # The sign-in check first: the later steps act for the user it verified.
        away = await (await self.get_state(SessionState)).require_signed_in()
        if away is not None:
            return away
        await (await self.get_state(PreferencesState)).load_preferences()
        await (await self.get_state(PresenceState)).subscribe()
        await (await self.get_state(RoomsState)).load_lobby()
        return None
