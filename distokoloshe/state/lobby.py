"""The lobby's on_load: one event, one session check and one trip to the database.

Every tab that opens the lobby runs this; as one event it costs the backend one state load,
one lock and one delta, and what it reads (who you are, your settings, the room you were
last in) comes in one transaction on one worker thread. That is what lets a storm of joins
(everyone reconnecting after a restart) settle quickly. Each state keeps what it read.
"""

from __future__ import annotations

import reflex as rx

from distokoloshe import calls
from distokoloshe.state.preferences import PreferencesState, personal_settings
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import NotSignedIn, SessionState, run_as_user, who_is


def _arrival(*, session, user):
    return (who_is(session=session, user=user), personal_settings(session=session, user=user),
            calls.enter_last_room(session=session, user=user))


class LobbyState(rx.State):
    @rx.event
    async def enter(self):
        """The lobby page's on_load."""
        signed_in = await self.get_state(SessionState)
        try:
            who, personal, last_room = await run_as_user(signed_in.session_token, _arrival)
        except NotSignedIn:
            return signed_in._to_login()
        # Who we are first: the later steps act for the user it verified.
        signed_in._signed_in_as(who)
        (await self.get_state(PreferencesState))._apply(personal)
        await (await self.get_state(PresenceState)).subscribe()
        await (await self.get_state(RoomsState))._arrive(last_room)
        return None
