"""Rooms: list, create, delete by owner (or an admin), and remembering each user's last room."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from distokoloshe import validation
from distokoloshe.models import Room, RoomMember, RoomRemoval, User
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
    private: bool = False


def list_rooms(*, session: Session) -> list[RoomSummary]:
    """Every room, private ones included: whoever shows the list filters it by
    private_audiences."""
    rows = session.exec(
        select(Room, User.display_name).join(User, User.id == Room.owner_id).order_by(Room.name_key)
    ).all()
    return [RoomSummary(room.id, room.name, room.owner_id, owner_name, room.encryption_required,
                        room.private)
            for room, owner_name in rows]


def private_audiences(*, session: Session) -> dict[int, frozenset[int]]:
    """For each private room, the ids of the users who may see it: its owner and members."""
    audiences: dict[int, set[int]] = {
        room_id: {owner_id} for room_id, owner_id in
        session.exec(select(Room.id, Room.owner_id).where(Room.private)).all()}
    members = session.exec(select(RoomMember.room_id, RoomMember.user_id)
                           .where(RoomMember.room_id.in_(audiences))).all()
    for room_id, user_id in members:
        audiences[room_id].add(user_id)
    return {room_id: frozenset(users) for room_id, users in audiences.items()}


def may_see(*, session: Session, user: User, room: Room) -> bool:
    """A public room, or a private one the user owns or is a member of."""
    return (not room.private or room.owner_id == user.id
            or session.get(RoomMember, (room.id, user.id)) is not None)


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


def get_room(*, session: Session, room_id: object) -> Room:
    if (not isinstance(room_id, int) or isinstance(room_id, bool)
            or not 1 <= room_id <= validation.ID_MAX):
        raise RoomNotFound("That room does not exist.")
    room = session.get(Room, room_id)
    if room is None:
        raise RoomNotFound("That room does not exist.")
    return room


def visible_room(*, session: Session, user: User, room_id: object) -> Room:
    """The room, if the user may see it. A private room someone may not see is refused
    exactly as a room that does not exist, so its existence does not leak."""
    room = get_room(session=session, room_id=room_id)
    if not may_see(session=session, user=user, room=room):
        raise RoomNotFound("That room does not exist.")
    return room


def summary_of(*, session: Session, room: Room) -> RoomSummary:
    owner = session.get(User, room.owner_id)
    return RoomSummary(room.id, room.name, room.owner_id,
                       owner.display_name if owner else "", room.encryption_required,
                       room.private)


def delete_room(*, session: Session, user: User, room_id: object) -> Room:
    """The room's owner, or an admin of the server, deletes it."""
    room = get_room(session=session, room_id=room_id)
    if room.owner_id != user.id and not user.is_admin:
        raise NotRoomOwner("Only the room's owner can delete it.")
    session.delete(room)
    session.flush()
    return room


def remember_room(*, session: Session, user: User, room_id: object) -> Room:
    room = visible_room(session=session, user=user, room_id=room_id)
    user.last_room_id = room.id
    session.add(user)
    session.flush()
    return room


def last_room(*, session: Session, user: User) -> Room | None:
    """The room the user was last in, if it still exists and they may still see it."""
    room = session.get(Room, user.last_room_id) if user.last_room_id is not None else None
    return room if room is not None and may_see(session=session, user=user, room=room) else None


def removed(*, session: Session, user: User, room: Room) -> bool:
    """Whether the room's owner (or an admin) removed the user from it."""
    return session.get(RoomRemoval, (room.id, user.id)) is not None


def admit(*, session: Session, user: User, room_id: object) -> Room:
    """The room, if the user may join its call (and read its chat): they may see it and its
    owner has not removed them."""
    room = visible_room(session=session, user=user, room_id=room_id)
    if removed(session=session, user=user, room=room):
        raise RemovedFromRoom("The owner removed you from this room's call.")
    return room


def may_moderate(*, user: User, room: Room) -> bool:
    """The room's owner and the server's admins mute and remove people in its call."""
    return room.owner_id == user.id or user.is_admin


def moderated_room(*, session: Session, user: User, room_id: object) -> Room:
    room = visible_room(session=session, user=user, room_id=room_id)
    if not may_moderate(user=user, room=room):
        raise NotRoomOwner("Only the room's owner or an admin can do that.")
    return room


def remove_from_call(*, session: Session, user: User, room_id: object, member_id: object) -> Room:
    """The owner (or an admin) removes someone: they may not rejoin until the ban is lifted,
    and the room's key moves on."""
    room = moderated_room(session=session, user=user, room_id=room_id)
    target_id = validation.record_id(member_id)
    member = session.get(User, target_id) if target_id is not None else None
    if member is None or member.id == user.id or member.id == room.owner_id:
        raise RoomNotFound("That person is not someone you can remove.")
    if session.get(RoomRemoval, (room.id, member.id)) is None:
        session.add(RoomRemoval(room_id=room.id, user_id=member.id))
    room.key_epoch += 1
    session.add(room)
    session.flush()
    return room


def banned(*, session: Session, room: Room) -> list[tuple[int, str]]:
    """(user id, display name) of everyone removed from the room, by name."""
    rows = session.exec(select(User.id, User.display_name)
                        .join(RoomRemoval, RoomRemoval.user_id == User.id)
                        .where(RoomRemoval.room_id == room.id)
                        .order_by(User.display_name, User.id)).all()
    return [(user_id, name) for user_id, name in rows]


def lift_ban(*, session: Session, user: User, room_id: object, member_id: object) -> Room:
    """Someone removed from the room may join its call again."""
    room = moderated_room(session=session, user=user, room_id=room_id)
    target_id = validation.record_id(member_id)
    row = session.get(RoomRemoval, (room.id, target_id)) if target_id is not None else None
    if row is not None:
        session.delete(row)
        session.flush()
    return room


def _owned_room(session: Session, user: User, room_id: object, action: str) -> Room:
    room = get_room(session=session, room_id=room_id)
    if room.owner_id != user.id:
        raise NotRoomOwner(f"Only the room's owner can {action}.")
    return room


def set_private(*, session: Session, user: User, room_id: object, private: object) -> Room:
    """The owner opens the room to everyone or closes it to its members. Closing it moves
    the key on, so whoever is in the call without being a member decodes nothing new."""
    room = _owned_room(session, user, room_id, "make it private or public")
    private = private is True
    if room.private != private:
        room.private = private
        if private:
            room.key_epoch += 1
        session.add(room)
        session.flush()
    return room


def member_ids(*, session: Session, room: Room) -> list[int]:
    """The members of a room (the owner is one without being listed)."""
    return list(session.exec(select(RoomMember.user_id).where(RoomMember.room_id == room.id)
                             .order_by(RoomMember.user_id)).all())


def set_member(*, session: Session, user: User, room_id: object, member_id: object,
               member: object) -> Room:
    """The owner lets someone into the room or takes them off its members. Taking someone
    off moves the key on, as removing them from the call does."""
    room = _owned_room(session, user, room_id, "choose its members")
    target_id = validation.record_id(member_id)
    target = session.get(User, target_id) if target_id is not None else None
    if target is None or target.id == user.id:
        raise RoomNotFound("That person is not someone you can add or take off.")
    row = session.get(RoomMember, (room.id, target.id))
    if member is True and row is None:
        session.add(RoomMember(room_id=room.id, user_id=target.id))
    elif member is not True and row is not None:
        session.delete(row)
        room.key_epoch += 1
        session.add(room)
    session.flush()
    return room
