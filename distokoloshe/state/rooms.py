"""The lobby's actions on rooms: creating, deleting and selecting one. The live room list
itself is presence (state/presence.py), pushed to every tab."""

from __future__ import annotations

import dataclasses

import reflex as rx

from distokoloshe import livekit_admin, rooms, validation
from distokoloshe.state.call import CallState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.presence_hub import hub
from distokoloshe.state.session import NotSignedIn, SessionState

NO_ROOM = 0


@dataclasses.dataclass
class RoomRow:
    id: int
    name: str
    owner_name: str
    mine: bool
    encryption_required: bool


def _selected(*, session, user, room_id) -> RoomRow:
    summary = rooms.room_summary(session=session, room_id=room_id)
    return RoomRow(summary.id, summary.name, summary.owner_name, summary.owner_id == user.id,
                   summary.encryption_required)


def _last_room_id(*, session, user) -> int:
    last = rooms.last_room(session=session, user=user)
    return last.id if last is not None else NO_ROOM


class RoomsState(rx.State):
    selected_room: RoomRow | None = None
    create_error: str = ""
    room_error: str = ""

    @rx.var
    def selected_room_id(self) -> int:
        return self.selected_room.id if self.selected_room is not None else NO_ROOM

    async def _run(self, action, /, **kwargs):
        session_state = await self.get_state(SessionState)
        return await session_state._as_user(action, **kwargs)

    async def _enter(self, room_id: int) -> None:
        self.selected_room = await self._run(_selected, room_id=room_id)
        call = await self.get_state(CallState)
        await call._join(room_id)

    async def load_lobby(self):
        """Part of the lobby's load (LobbyState.enter): the call you were last in, if it
        still exists."""
        if (await self.get_state(PresenceState)).over_capacity:
            return  # this tab is refused; it joins nothing
        try:
            last_room_id = await self._run(_last_room_id)
            if last_room_id != NO_ROOM:
                await self._enter(last_room_id)
            else:
                self.selected_room = None
        except (NotSignedIn, rooms.RoomNotFound):
            self.selected_room = None

    async def _refresh(self) -> None:
        if self.selected_room is None:
            return
        try:
            self.selected_room = await self._run(_selected, room_id=self.selected_room.id)
        except rooms.RoomNotFound:
            self.selected_room = None
            call = await self.get_state(CallState)
            call._reset_call()

    async def refresh_rooms(self):
        try:
            await self._refresh()
        except NotSignedIn:
            return SessionState.session_failed
        return None

    async def join_selected(self):
        """Rejoin the selected room's call after leaving it."""
        if self.selected_room is not None:
            await self._enter(self.selected_room.id)

    async def create_room(self, form_data: dict):
        self.create_error = ""
        fields = form_data if isinstance(form_data, dict) else {}
        try:
            room = await self._run(rooms.create_room, name=fields.get("room_name"),
                                   # an unchecked checkbox is simply absent from the form
                                   encryption_required="allow_unencrypted" not in fields)
            await self._run(rooms.remember_room, room_id=room.id)
        except NotSignedIn:
            return SessionState.session_failed
        except (validation.InvalidInput, rooms.RoomNameTaken) as error:
            self.create_error = str(error)
            return None
        await hub.rooms_changed()
        await self._enter(room.id)
        return None

    async def select_room(self, room_id: int):
        self.room_error = ""
        try:
            room = await self._run(rooms.remember_room, room_id=room_id)
            await self._enter(room.id)
        except NotSignedIn:
            return SessionState.session_failed
        except rooms.RoomNotFound as error:
            self.room_error = str(error)
            await hub.rooms_changed()  # this tab's list was behind; bring everyone up to date
        return None

    async def delete_room(self, room_id: int):
        self.room_error = ""
        try:
            room = await self._run(rooms.delete_room, room_id=room_id)
        except NotSignedIn:
            return SessionState.session_failed
        except (rooms.RoomNotFound, rooms.NotRoomOwner) as error:
            self.room_error = str(error)
        else:
            await hub.rooms_changed()
            # Everyone still in the call is disconnected by LiveKit itself.
            if not await livekit_admin.close_room(room.id):
                self.room_error = "The room is deleted, but the media server could not be told."
        await self._refresh()
        return None
