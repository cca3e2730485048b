"""Call admission: who may join a room's call, and everything their browser needs to.

Selecting a room is one transaction here: remember it as the user's last room, read what
the lobby shows of it, mint the LiveKit join token and derive the room's current key. The
states call one of these per user action, so a click costs one backend round trip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlmodel import Session

from distokoloshe import accounts, chat, e2ee, livekit_tokens, ratelimit, rooms
from distokoloshe.models import Room, RoomRemoval, User


class CreatingTooFast(Exception):
    """The user created rooms faster than ROOM_CREATE_RATE_LIMIT allows."""


@dataclasses.dataclass(frozen=True)
class CallPass:
    """What a browser admitted to a room's call gets: never handed to anyone else."""

    room_id: int
    token: str             # "" when only the current key was asked for
    e2ee_key: str
    e2ee_key_index: int
    key_epoch: int
    encryption_required: bool
    owner: bool            # the owner or an admin: may mute and remove people in its call


@dataclasses.dataclass(frozen=True)
class Entry:
    """A room the user selected: what the lobby shows of it, and its call if they may join."""

    room: rooms.RoomSummary
    mine: bool
    call: CallPass | None
    refusal: str = ""      # why the call is closed to them, for the user
    members: tuple[int, ...] = ()  # the room's members, for its owner only
    chat_page: chat.Page | None = None  # its chat's newest page (read to its end), if admitted


def _pass(user: User, room: Room, *, with_token: bool) -> CallPass:
    return CallPass(
        room_id=room.id,
        token=livekit_tokens.mint_join_token(user, room) if with_token else "",
        e2ee_key=e2ee.current_room_key(room), e2ee_key_index=e2ee.key_index(room.key_epoch),
        key_epoch=room.key_epoch, encryption_required=room.encryption_required,
        owner=rooms.may_moderate(user=user, room=room),
    )


def admit(*, session: Session, user: User, room_id: object) -> CallPass:
    """A join token and the current key, for a user the room admits (else RemovedFromRoom)."""
    return _pass(user, rooms.admit(session=session, user=user, room_id=room_id),
                 with_token=True)


def rekey(*, session: Session, user: User, room_id: object) -> CallPass:
    """The room's current key for someone already in its call, without a new token."""
    return _pass(user, rooms.admit(session=session, user=user, room_id=room_id),
                 with_token=False)


def _entry(session: Session, user: User, room: Room) -> Entry:
    summary = rooms.summary_of(session=session, room=room)
    mine = summary.owner_id == user.id
    members = tuple(rooms.member_ids(session=session, room=room)) if mine else ()
    try:
        admitted = rooms.admit(session=session, user=user, room_id=room.id)
    except rooms.RemovedFromRoom as refusal:
        return Entry(summary, mine, None, str(refusal), members)
    # Admitted once for the call and its chat: this runs before the join token goes out.
    page = chat.open_admitted(session=session, user=user, room=admitted)
    return Entry(summary, mine, _pass(user, admitted, with_token=True), members=members,
                 chat_page=page)


def enter_room(*, session: Session, user: User, room_id: object) -> Entry:
    """The user picked a room: remember it for next time and admit them to its call."""
    return _entry(session, user, rooms.remember_room(session=session, user=user, room_id=room_id))


def enter_last_room(*, session: Session, user: User) -> Entry | None:
    """The room the user was last in, entered again (the lobby's auto-join), if it exists."""
    room = rooms.last_room(session=session, user=user)
    return _entry(session, user, room) if room is not None else None


def create_and_enter(*, session: Session, user: User, name: object,
                     encryption_required: object = True) -> Entry:
    """A new room of the user's, entered at once; every attempt counts against the user's
    ROOM_CREATE_RATE_LIMIT (across workers with Redis), refused with CreatingTooFast."""
    refusal = ratelimit.hit_room_creation(user.id)
    if refusal is not None:
        raise CreatingTooFast(f"You are creating rooms too fast. Try again in {refusal.wait}.")
    room = rooms.create_room(session=session, user=user, name=name,
                             encryption_required=encryption_required)
    return enter_room(session=session, user=user, room_id=room.id)


def remove_member(*, session: Session, user: User, room_id: object,
                  member_id: object) -> CallPass:
    """The owner removes someone from the call; returns the owner's pass with the new key."""
    room = rooms.remove_from_call(session=session, user=user, room_id=room_id,
                                  member_id=member_id)
    return _pass(user, room, with_token=False)


def moderator_name(*, session: Session, user: User, room_id: object) -> str:
    """The display name of a user who may moderate the room's call (else NotRoomOwner)."""
    rooms.moderated_room(session=session, user=user, room_id=room_id)
    return user.display_name


@dataclasses.dataclass(frozen=True)
class Participant:
    """Someone LiveKit says is in a call, as its webhooks and room API describe them."""

    livekit_room: str
    identity: str
    session_version: str   # the SESSION_VERSION_ATTRIBUTE their join token carried


def _may_stay(session: Session, participant: Participant) -> bool:
    room_id = livekit_tokens.room_id_of(participant.livekit_room)
    user_id = livekit_tokens.user_id_of(participant.identity)
    if room_id is None or user_id is None:
        # Not one of our rooms, or an identity that names no user: only a token minted with
        # the API secret itself (an operator's tool) gets there, so it is not ours to judge.
        return True
    user, room = session.get(User, user_id), session.get(Room, room_id)
    return (user is not None and room is not None
            and rooms.may_see(session=session, user=user, room=room)
            and session.get(RoomRemoval, (room_id, user_id)) is None
            and participant.session_version == str(user.token_version))


def outsiders(*, session: Session, participants: Iterable[Participant]) -> list[Participant]:
    """Those who may not be in their call: removed from the room, not a member of a private
    room, signed out everywhere since their token was minted, or in a room that no longer
    exists. LiveKit refreshes a connected participant's token by itself, so an old token
    keeps working there; this is what puts such a participant out again."""
    return [p for p in participants if not _may_stay(session, p)]


def sign_out_everywhere(*, session: Session, user: User,
                        livekit_rooms: Iterable[str]) -> list[tuple[int, int]]:
    """End every session of the user and move on the key of each call they are in, so a
    device of theirs that is still connected decrypts nothing sent from now on. Returns
    (room id, new key epoch) for each of those rooms."""
    accounts.revoke_all_sessions(session=session, user=user)
    moved = []
    for name in livekit_rooms:
        room = session.get(Room, livekit_tokens.room_id_of(name) or 0)
        if room is not None:
            room.key_epoch += 1
            session.add(room)
            moved.append((room.id, room.key_epoch))
    session.flush()
    return moved
