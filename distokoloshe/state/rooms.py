"""The lobby: the room list, creating, deleting and selecting rooms."""

from __future__ import annotations

import dataclasses

import reflex as rx

from distokoloshe import livekit_admin, rooms, validation
from distokoloshe.state.call import CallState
from distokoloshe.state.session import NotSignedIn, SessionState

NO_ROOM = 0


@dataclasses.dataclass
class RoomRow:
    id: int
    name: str
    owner_name: str
    mine: bool
    encryption_required: bool


def _lobby(*, session, user) -> tuple[list[RoomRow], int]:
    summaries = rooms.list_rooms(session=session)
    rows = [RoomRow(r.id, r.name, r.owner_name, r.owner_id == user.id, r.encryption_required)
            for r in summaries]
    last = rooms.last_room(session=session, user=user)
    return rows, last.id if last is not None else NO_ROOM


class RoomsState(rx.State):
    rooms: list[RoomRow] = []
    selected_room_id: int = NO_ROOM
    create_error: str = ""
    room_error: str = ""

    @rx.var
    def selected_room(self) -> RoomRow | None:
        return next((room for room in self.rooms if room.id == self.selected_room_id), None)

    async def _run(self, action, /, **kwargs):
        session_state = await self.get_state(SessionState)
        return await session_state._as_user(action, **kwargs)

    async def _enter(self, room_id: int) -> None:
        self.selected_room_id = room_id
        call = await self.get_state(CallState)
        await call._join(room_id)

    async def load_lobby(self):
        """on_load of the lobby: the rooms, and the call you were last in if it still exists."""
        try:
            self.rooms, last_room_id = await self._run(_lobby)
        except NotSignedIn:
            self.rooms, self.selected_room_id = [], NO_ROOM
            return
        if last_room_id != NO_ROOM:
            await self._enter(last_room_id)
        else:
            self.selected_room_id = NO_ROOM

    async def _refresh(self) -> None:
        self.rooms, _ = await self._run(_lobby)
        if self.selected_room is None:
            self.selected_room_id = NO_ROOM
            call = await self.get_state(CallState)
            call._reset_call()

    async def refresh_rooms(self):
        try:
            await self._refresh()
        except NotSignedIn:
            return SessionState.sign_out
        return None

    async def join_selected(self):
        """Rejoin the selected room's call after leaving it."""
        if self.selected_room is not None:
            await self._enter(self.selected_room_id)

    async def create_room(self, form_data: dict):
        self.create_error = ""
        fields = form_data if isinstance(form_data, dict) else {}
        try:
            room = await self._run(rooms.create_room, name=fields.get("room_name"),
                                   # an unchecked checkbox is simply absent from the form
                                   encryption_required="allow_unencrypted" not in fields)
            await self._run(rooms.remember_room, room_id=room.id)
            await self._refresh()
        except NotSignedIn:
            return SessionState.sign_out
        except (validation.InvalidInput, rooms.RoomNameTaken) as error:
            self.create_error = str(error)
            return None
        await self._enter(room.id)
        return None

    async def select_room(self, room_id: int):
        self.room_error = ""
        try:
            room = await self._run(rooms.remember_room, room_id=room_id)
        except NotSignedIn:
            return SessionState.sign_out
        except rooms.RoomNotFound as error:
            self.room_error = str(error)
            await self._refresh()
            return None
        await self._enter(room.id)
        return None

    async def delete_room(self, room_id: int):
        self.room_error = ""
        try:
            room = await self._run(rooms.delete_room, room_id=room_id)
        except NotSignedIn:
            return SessionState.sign_out
        except (rooms.RoomNotFound, rooms.NotRoomOwner) as error:
            self.room_error = str(error)
        else:
            # Everyone still in the call is disconnected by LiveKit itself.
            if not await livekit_admin.close_room(room.id):
                self.room_error = "The room is deleted, but the media server could not be told."
        await self._refresh()
        return None
