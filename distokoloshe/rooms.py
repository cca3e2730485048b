"""Rooms: list, create, delete by owner (or an admin), and remembering each user's last room."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from distokoloshe import validation
from distokoloshe.models import Room, RoomRemoval, User
from distokoloshe.settings import get_settings


class RoomNameTaken(Exception):
    pass


class RoomNotFound(Exception):
    pass


class NotRoomOwner(Exception):
    pass


class RemovedFromRoom(Exception):
    pass


class TooManyRooms(Exception):
    """The user already owns as many rooms as one person may (MAX_ROOMS_PER_USER)."""


@dataclasses.dataclass(frozen=True)
class RoomSummary:
    """What the lobby shows about one room."""

    id: int
    name: str
    owner_id: int
    owner_name: str
    encryption_required: bool = True


def list_rooms(*, session: Session) -> list[RoomSummary]:
    rows = session.exec(
        select(Room, User.display_name).join(User, User.id == Room.owner_id).order_by(Room.name_key)
    ).all()
    return [RoomSummary(room.id, room.name, room.owner_id, owner_name, room.encryption_required)
            for room, owner_name in rows]


def _lock_rooms_of(session: Session, user: User) -> None:
    """Hold the user's row until the transaction ends, so two creations by the same user (two
    tabs, two workers) count their rooms one after the other: a row lock on PostgreSQL, the
    database's write lock on SQLite. The update changes nothing."""
    session.connection().execute(
        update(User.__table__).where(User.__table__.c.id == user.id)
        .values(token_version=User.__table__.c.token_version))


def rooms_owned(*, session: Session, user: User) -> int:
    return session.exec(select(func.count()).select_from(Room)
                        .where(Room.owner_id == user.id)).one()


def create_room(*, session: Session, user: User, name: object,
                encryption_required: object = True) -> Room:
    """A new room of the user's; TooManyRooms once they own MAX_ROOMS_PER_USER, counted in
    this same transaction."""
    clean_name = validation.clean_room_name(name)
    key = validation.room_name_key(clean_name)
    cap = get_settings().max_rooms_per_user
    _lock_rooms_of(session, user)
    if rooms_owned(session=session, user=user) >= cap:
        raise TooManyRooms(f"You already have {cap} rooms, as many as one person may have. "
                           "Delete one of them to create another.")
    taken = f"A room named “{clean_name}” already exists."
    if session.exec(select(Room.id).where(Room.name_key == key)).first() is not None:
        raise RoomNameTaken(taken)
    room = Room(name=clean_name, name_key=key, owner_id=user.id,
                encryption_required=encryption_required is not False)
    session.add(room)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise RoomNameTaken(taken) from error
    return room


# Ids are positive and fit a signed 64-bit column; anything else a client sends would
# otherwise reach the driver (SQLite raises OverflowError past 64 bits).
_ROOM_ID_MAX = 2**63 - 1


def get_room(*, session: Session, room_id: object) -> Room:
    if (not isinstance(room_id, int) or isinstance(room_id, bool)
            or not 1 <= room_id <= _ROOM_ID_MAX):
        raise RoomNotFound("That room does not exist.")
    room = session.get(Room, room_id)
    if room is None:
        raise RoomNotFound("That room does not exist.")
    return room


def room_summary(*, session: Session, room_id: object) -> RoomSummary:
    return summary_of(session=session, room=get_room(session=session, room_id=room_id))


def summary_of(*, session: Session, room: Room) -> RoomSummary:
    owner = session.get(User, room.owner_id)
    return RoomSummary(room.id, room.name, room.owner_id,
                       owner.display_name if owner else "", room.encryption_required)


def delete_room(*, session: Session, user: User, room_id: object) -> Room:
    """The room's owner, or an admin of the server, deletes it."""
    room = get_room(session=session, room_id=room_id)
    if room.owner_id != user.id and not user.is_admin:
        raise NotRoomOwner("Only the room's owner can delete it.")
    session.delete(room)
    session.flush()
    return room


def remember_room(*, session: Session, user: User, room_id: object) -> Room:
    room = get_room(session=session, room_id=room_id)
    user.last_room_id = room.id
    session.add(user)
    session.flush()
    return room


def last_room(*, session: Session, user: User) -> Room | None:
    """The room the user was last in, if it still exists."""
    return session.get(Room, user.last_room_id) if user.last_room_id is not None else None


def admit(*, session: Session, user: User, room_id: object) -> Room:
    """The room, if the user may join its call: it exists and its owner has not removed them."""
    room = get_room(session=session, room_id=room_id)
    if session.get(RoomRemoval, (room.id, user.id)) is not None:
        raise RemovedFromRoom("The owner removed you from this room's call.")
    return room


def remove_from_call(*, session: Session, user: User, room_id: object, member_id: object) -> Room:
    """The owner removes someone: they may not rejoin, and the room's key moves on."""
    room = get_room(session=session, room_id=room_id)
    if room.owner_id != user.id:
        raise NotRoomOwner("Only the room's owner can remove people from its call.")
    if isinstance(member_id, str) and member_id.isdigit() and len(member_id) < 19:
        member_id = int(member_id)
    member = (session.get(User, member_id)
              if isinstance(member_id, int) and not isinstance(member_id, bool)
              and 0 < member_id < 2**63 else None)
    if member is None or member.id == user.id:
        raise RoomNotFound("That person is not someone you can remove.")
    if session.get(RoomRemoval, (room.id, member.id)) is None:
        session.add(RoomRemoval(room_id=room.id, user_id=member.id))
    room.key_epoch += 1
    session.add(room)
    session.flush()
    return room
