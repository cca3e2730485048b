"""The lobby's actions on rooms: creating, deleting and selecting one. The live room list
itself is presence (state/presence.py), pushed to every tab.

Each action is one domain call (distokoloshe/calls.py) in one transaction, and the call it
opens is handed to CallState in the same event: a click is one backend round trip (its
call's token goes out first, in a delta of its own).
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from distokoloshe import calls, extension_registry, livekit_admin, rooms, validation
from distokoloshe.extension_spec import Hook, RoomEvent
from distokoloshe.realtime.presence_hub import hub
from distokoloshe.state.call import CallState
from distokoloshe.state.chat import ChatState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.session import NotSignedIn, SessionState, SignedIn

NO_ROOM = 0


@dataclasses.dataclass
class RoomRow:
    id: int
    name: str
    owner_id: int
    owner_name: str
    mine: bool
    encryption_required: bool
    private: bool


def _row(summary: rooms.RoomSummary, *, mine: bool) -> RoomRow:
    return RoomRow(summary.id, summary.name, summary.owner_id, summary.owner_name, mine,
                   summary.encryption_required, summary.private)


def _selected(*, session, user, room_id) -> tuple[RoomRow, list[int]]:
    """The selected room as the lobby shows it, and its members if the user owns it."""
    room = rooms.visible_room(session=session, user=user, room_id=room_id)
    mine = room.owner_id == user.id
    members = rooms.member_ids(session=session, room=room) if mine else []
    return _row(rooms.summary_of(session=session, room=room), mine=mine), members


@dataclasses.dataclass
class BannedRow:
    id: int
    name: str


def _bans(*, session, user, room_id) -> list[BannedRow]:
    room = rooms.moderated_room(session=session, user=user, room_id=room_id)
    return [BannedRow(user_id, name) for user_id, name in rooms.banned(session=session,
                                                                       room=room)]


def _lift_ban(*, session, user, room_id, member_id) -> list[BannedRow]:
    rooms.lift_ban(session=session, user=user, room_id=room_id, member_id=member_id)
    return _bans(session=session, user=user, room_id=room_id)


def _set_private(*, session, user, room_id, private) -> tuple[int, int]:
    room = rooms.set_private(session=session, user=user, room_id=room_id, private=private)
    return room.id, room.key_epoch


def _set_member(*, session, user, room_id, member_id, member) -> tuple[int, int]:
    room = rooms.set_member(session=session, user=user, room_id=room_id, member_id=member_id,
                            member=member)
    return room.id, room.key_epoch


class RoomsState(SignedIn, rx.State):
    selected_room: RoomRow | None = None
    # the selected room's members, when this user owns it (who else may see a private room)
    room_members: list[int] = []
    # who was removed from the selected room's call, for its owner or an admin to lift
    banned: list[BannedRow] = []
    create_error: str = ""
    room_error: str = ""

    @rx.var
    def selected_room_id(self) -> int:
        return self.selected_room.id if self.selected_room is not None else NO_ROOM

    async def _show(self, entry: calls.Entry | None) -> None:
        self.selected_room = _row(entry.room, mine=entry.mine) if entry is not None else None
        self.room_members = list(entry.members) if entry is not None else []
        await (await self.get_state(CallState))._enter(entry)
        await (await self.get_state(ChatState))._open(entry)

    @rx.event
    async def load_lobby(self):
        """Part of the lobby's load (LobbyState.enter): the call you were last in, if it
        still exists."""
        if (await self.get_state(PresenceState)).over_capacity:
            return  # this tab is refused; it joins nothing
        try:
            await self._show(await self._as_user(calls.enter_last_room))
        except NotSignedIn:
            self.selected_room = None

    async def _arrive(self, last_room: calls.Entry | None) -> None:
        """The lobby opens in the call you were last in (calls.enter_last_room), unless this
        tab was refused."""
        if not (await self.get_state(PresenceState)).over_capacity:
            await self._show(last_room)

    async def _refresh(self) -> None:
        if self.selected_room is None:
            return
        try:
            self.selected_room, self.room_members = await self._as_user(
                _selected, room_id=self.selected_room.id)
        except rooms.RoomNotFound:
            await self._show(None)

    @rx.event
    async def refresh_rooms(self):
        """Re-read the selected room (a call that ended may have ended with its room)."""
        try:
            await self._refresh()
        except NotSignedIn:
            return SessionState.session_failed
        return None

    @rx.event
    async def join_selected(self):
        """Rejoin the selected room's call after leaving it."""
        if self.selected_room is not None:
            async for update in self.select_room(self.selected_room.id):
                yield update

    @rx.event
    async def create_room(self, form_data: dict):
        """Create a room of the user's own and enter it."""
        self.create_error = ""
        fields = form_data if isinstance(form_data, dict) else {}
        try:
            entry = await self._as_user(calls.create_and_enter, name=fields.get("room_name"),
                                        # an unchecked checkbox is simply absent from the form
                                        encryption_required="allow_unencrypted" not in fields)
        except NotSignedIn:
            return SessionState.session_failed
        except (validation.InvalidInput, rooms.RoomNameTaken, rooms.TooManyRooms,
                calls.CreatingTooFast) as error:
            self.create_error = str(error)
            return None
        await hub.rooms_changed()
        extension_registry.active().notify(Hook.ROOM_CREATED,
                                           RoomEvent(entry.room.id, entry.room.name))
        await self._show(entry)
        return None

    @rx.event
    async def select_room(self, room_id: int):
        """Open a room and join its call."""
        self.room_error = ""
        try:
            entry = await self._as_user(calls.enter_room, room_id=room_id)
        except NotSignedIn:
            yield SessionState.session_failed
            return
        except rooms.RoomNotFound as error:
            self.room_error = str(error)
            await hub.rooms_changed()  # this tab's list was behind; bring everyone up to date
            return
        if entry.call is not None:
            # The call's token goes out in a delta of its own: the browser starts
            # connecting while it renders the rest of the room (the next delta).
            await (await self.get_state(CallState))._enter(entry)
            yield
        await self._show(entry)  # the call is entered already; _enter keeps it

    @rx.event
    async def delete_room(self, room_id: int):
        """The owner deletes a room; everyone in its call is disconnected."""
        self.room_error = ""
        try:
            room = await self._as_user(rooms.delete_room, room_id=room_id)
        except NotSignedIn:
            return SessionState.session_failed
        except (rooms.RoomNotFound, rooms.NotRoomOwner) as error:
            self.room_error = str(error)
            await self._refresh()
            return None
        await hub.rooms_changed()
        extension_registry.active().notify(Hook.ROOM_DELETED, RoomEvent(room.id, room.name))
        if self.selected_room_id == room.id:
            await self._show(None)
        # Everyone still in the call is disconnected by LiveKit itself.
        if not await livekit_admin.close_room(room.id):
            self.room_error = "The room is deleted, but the media server could not be told."
        return None

    async def _change_access(self, action, **kwargs) -> None:
        """The owner changed who may see the selected room: every lobby's list follows,
        whoever may no longer be in its call is put out, and the rest take the new key."""
        if self.selected_room is None:
            return
        self.room_error = ""
        try:
            room_id, key_epoch = await self._as_user(action, room_id=self.selected_room.id,
                                                     **kwargs)
        except (rooms.RoomNotFound, rooms.NotRoomOwner) as error:
            self.room_error = str(error)
            return
        await self._refresh()
        await hub.rooms_changed()
        try:
            await hub.recheck_call(room_id)
        except Exception:  # noqa: BLE001  (LiveKit unreachable: the reconcile pass catches up)
            self.room_error = "Saved, but the media server could not be told yet."
        # Everyone still in the call, the owner too, fetches the new key when LiveKit
        # passes this on (CallState.update_room_key).
        await livekit_admin.announce_key(room_id, key_epoch)

    @rx.event
    async def set_room_private(self, private: bool):
        """The owner makes the selected room private (members only) or public."""
        try:
            await self._change_access(_set_private, private=private)
        except NotSignedIn:
            return SessionState.session_failed
        return None

    @rx.event
    async def set_room_member(self, user_id: int, member: bool):
        """The owner lets someone into the selected room, or takes them off its members."""
        try:
            await self._change_access(_set_member, member_id=user_id, member=member)
        except NotSignedIn:
            return SessionState.session_failed
        return None

    async def _moderate(self, action, **kwargs):
        if self.selected_room is None:
            return None
        self.room_error = ""
        try:
            self.banned = await self._as_user(action, room_id=self.selected_room.id, **kwargs)
        except NotSignedIn:
            return SessionState.session_failed
        except (rooms.RoomNotFound, rooms.NotRoomOwner) as error:
            self.room_error = str(error)
            self.banned = []
        return None

    @rx.event
    async def load_bans(self):
        """Who was removed from the selected room (its owner's or an admin's list)."""
        return await self._moderate(_bans)

    @rx.event
    async def lift_ban(self, user_id: int):
        """Someone removed from the selected room may join its call again."""
        return await self._moderate(_lift_ban, member_id=user_id)
