"""Each room's text chat: posting, editing, deleting, the history in pages, and how far each
user has read. No reflex import here.

Whoever the room admits may read and write its chat (rooms.admit: they may see the room and
its owner has not removed them), whether or not they are in its call. A deleted message
keeps its row, so ids and cursors hold, but its text is gone and no page ever returns it.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from distokoloshe import ratelimit, rooms, validation
from distokoloshe.models import ChatMessage, ChatRead, Room, RoomMember, RoomRemoval, User, utcnow

BODY_MAX = 2000
PAGE_SIZE = 50
# Consecutive messages of one author within this many seconds are shown as one group.
GROUP_SECONDS = 300
# The mention flag looks at no more than this many unread messages that name the user.
MENTION_SCAN = 50
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


class ChatRefused(Exception):
    """What the user asked for cannot be done; the message says why, for the user."""


@dataclasses.dataclass(frozen=True)
class MessageView:
    """One message as a browser shows it."""

    id: int
    room_id: int
    author_id: int
    author_name: str
    initial: str
    body: str
    parts: list[dict]          # the body as text and links: {"text": ..., "url": "" or a link}
    created_at: str            # ISO 8601, UTC
    edited: bool
    continues: bool            # same author as the message before, shortly after it


@dataclasses.dataclass(frozen=True)
class Page:
    messages: list[MessageView]   # oldest first
    more: bool                    # older messages exist before the first one


def clean_body(value: object) -> str:
    """The message as stored: trimmed, any Unicode, with control characters other than new
    lines and tabs left out (no database stores a NUL) and lone surrogates replaced."""
    if not isinstance(value, str):
        raise ChatRefused("A message must be text.")
    if len(value) > 4 * BODY_MAX:  # before any work on it
        raise ChatRefused(f"That message is far over the limit of {BODY_MAX:,} characters.")
    text = _CONTROLS.sub("", validation.well_formed(value).replace("\r\n", "\n")).strip()
    if not text:
        raise ChatRefused("Write something first: a message cannot be empty.")
    if len(text) > BODY_MAX:
        raise ChatRefused(f"That message is {len(text):,} characters long; the limit is "
                          f"{BODY_MAX:,}. Shorten it or split it in two.")
    return text


def parts_of(body: str) -> list[dict]:
    """The body cut into text and http(s) links; nothing else is ever made a link."""
    parts: list[dict] = []
    at = 0
    for found in _URL.finditer(body):
        url = found.group(0).rstrip(_TRAILING)
        if found.start() > at:
            parts.append({"text": body[at:found.start()], "url": ""})
        parts.append({"text": url, "url": url})
        at = found.start() + len(url)
    if at < len(body):
        parts.append({"text": body[at:], "url": ""})
    return parts


def mentions(body: str, username: str) -> bool:
    """Whether `body` names @username (not a longer name that starts with it)."""
    pattern = r"(?<![\w.-])@" + re.escape(username) + r"(?![\w-]|\.\w)"
    return re.search(pattern, body, re.IGNORECASE) is not None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _continues(message: ChatMessage, before: ChatMessage | None) -> bool:
    return (before is not None and before.author_id == message.author_id
            and 0 <= (message.created_at - before.created_at).total_seconds() <= GROUP_SECONDS)


def views(session: Session, messages: list[ChatMessage],
          before: ChatMessage | None = None) -> list[MessageView]:
    """Views of `messages` (oldest first, none deleted); `before` is the message shown just
    above the first, for its grouping."""
    names = dict(session.exec(select(User.id, User.display_name).where(
        User.id.in_({m.author_id for m in messages}))).all()) if messages else {}
    shown = []
    for message in messages:
        name = names.get(message.author_id, "")
        shown.append(MessageView(
            message.id, message.room_id, message.author_id, name, (name[:1] or "?").upper(),
            message.body, parts_of(message.body), _iso(message.created_at),
            message.edited_at is not None, _continues(message, before)))
        before = message
    return shown


def readable_room(*, session: Session, user: User, room_id: object) -> Room:
    """The room, if its chat is open to the user: whoever the room admits to its call."""
    try:
        return rooms.admit(session=session, user=user, room_id=room_id)
    except rooms.RemovedFromRoom as error:
        raise ChatRefused("The owner removed you from this room, so its chat is closed "
                          "to you.") from error
    except rooms.RoomNotFound as error:
        raise ChatRefused(str(error)) from error


def _visible(room_id: int):
    return select(ChatMessage).where(ChatMessage.room_id == room_id,
                                     ChatMessage.deleted_at.is_(None))


def _page(session: Session, room_id: int, before_id: int | None,
          limit: int = PAGE_SIZE) -> tuple[list[ChatMessage], ChatMessage | None]:
    """Up to `limit` messages before `before_id` (or the newest), oldest first, and the one
    just before them (None when they reach the first message)."""
    query = _visible(room_id)
    if before_id is not None:
        query = query.where(ChatMessage.id < before_id)
    rows = list(session.exec(query.order_by(ChatMessage.id.desc()).limit(limit + 1)).all())
    above = rows[limit] if len(rows) > limit else None
    return list(reversed(rows[:limit])), above


def history(*, session: Session, user: User, room_id: object,
            before_id: object = None) -> Page:
    """The newest PAGE_SIZE messages, or the PAGE_SIZE before the message `before_id`."""
    room = readable_room(session=session, user=user, room_id=room_id)
    if before_id is not None:
        before_id = validation.record_id(before_id)
        if before_id is None:
            raise ChatRefused("That is not a message of this chat.")
    return _history(session, room, before_id)


def _history(session: Session, room: Room, before_id: int | None) -> Page:
    messages, above = _page(session, room.id, before_id)
    return Page(views(session, messages, above), above is not None)


def open_admitted(*, session: Session, user: User, room: Room) -> Page:
    """The newest page of a room's chat, marked read to its end, for a room that
    rooms.admit has just admitted the user to in this same transaction (joining its call),
    so the admission is not looked up again."""
    page = _history(session, room, None)
    _mark_read(session, user, room, None)
    return page


def latest(*, session: Session, room_id: int, since_id: int = 0) -> tuple[list[MessageView], int]:
    """What the live view of a room shows (no user check: only for sockets the room already
    admitted): every message after `since_id`, or the newest PAGE_SIZE when `since_id`
    is 0, and the id its window starts after."""
    if since_id:
        query = _visible(room_id).where(ChatMessage.id > since_id).order_by(ChatMessage.id)
        messages = list(session.exec(query).all())
        before = session.exec(_visible(room_id).where(ChatMessage.id <= since_id)
                              .order_by(ChatMessage.id.desc()).limit(1)).first()
        return views(session, messages, before), since_id
    messages, above = _page(session, room_id, None)
    start = messages[0].id - 1 if messages else 0
    return views(session, messages, above), start


def post(*, session: Session, user: User, room_id: object, body: object) -> MessageView:
    """A new message by the user; every attempt counts against their CHAT rate limits."""
    text = clean_body(body)
    refusal = ratelimit.hit_chat(user.id)
    if refusal is not None:
        raise ChatRefused(f"You are sending messages too fast. Wait {refusal.wait}, then "
                          "send again.")
    room = readable_room(session=session, user=user, room_id=room_id)
    message = ChatMessage(room_id=room.id, author_id=user.id, body=text)
    session.add(message)
    session.flush()
    mark_read(session=session, user=user, room_id=room.id, message_id=message.id)
    before = session.exec(_visible(room.id).where(ChatMessage.id < message.id)
                          .order_by(ChatMessage.id.desc()).limit(1)).first()
    return views(session, [message], before)[0]


def _message(session: Session, user: User, message_id: object) -> tuple[ChatMessage, Room]:
    target = validation.record_id(message_id)
    message = session.get(ChatMessage, target) if target is not None else None
    if message is None or message.deleted_at is not None:
        raise ChatRefused("That message does not exist any more.")
    return message, readable_room(session=session, user=user, room_id=message.room_id)


def edit(*, session: Session, user: User, message_id: object, body: object) -> ChatMessage:
    """The author changes their own message."""
    text = clean_body(body)
    message, _room = _message(session, user, message_id)
    if message.author_id != user.id:
        raise ChatRefused("You can only edit your own messages.")
    if text != message.body:
        message.body, message.edited_at = text, utcnow()
        session.add(message)
        session.flush()
    return message


def delete(*, session: Session, user: User, message_id: object) -> ChatMessage:
    """The author deletes their message, or the room's owner (or an admin) anyone's."""
    message, room = _message(session, user, message_id)
    if message.author_id != user.id and not rooms.may_moderate(user=user, room=room):
        raise ChatRefused("Only its author or the room's owner can delete a message.")
    message.body, message.deleted_at = "", utcnow()
    session.add(message)
    session.flush()
    return message


def mark_read(*, session: Session, user: User, room_id: object,
              message_id: object = None) -> int:
    """The user has read the room's chat up to `message_id` (else to its newest message).
    A marker only moves forward. Returns where it stands."""
    room = readable_room(session=session, user=user, room_id=room_id)
    return _mark_read(session, user, room, message_id)


def _mark_read(session: Session, user: User, room: Room, message_id: object) -> int:
    newest = session.exec(select(func.max(ChatMessage.id))
                          .where(ChatMessage.room_id == room.id)).one() or 0
    upto = validation.record_id(message_id) if message_id is not None else newest
    upto = min(upto or 0, newest)
    marker = session.get(ChatRead, (user.id, room.id))
    if marker is None:
        session.add(ChatRead(user_id=user.id, room_id=room.id, last_read_id=upto))
        session.flush()
        return upto
    if upto > marker.last_read_id:
        # the greatest of the two, in SQL, so two tabs marking at once never move it back
        session.connection().execute(
            update(ChatRead.__table__)
            .where(ChatRead.__table__.c.user_id == user.id,
                   ChatRead.__table__.c.room_id == room.id,
                   ChatRead.__table__.c.last_read_id < upto)
            .values(last_read_id=upto))
        session.expire(marker)
    return max(upto, marker.last_read_id)


@dataclasses.dataclass(frozen=True)
class Unread:
    counts: dict[int, int]     # room id -> unread messages (rooms with none are left out)
    mentioned: frozenset[int]  # rooms where an unread message names the user


def unread(*, session: Session, user_ids: set[int],
           room_ids: set[int] | None = None) -> dict[int, Unread]:
    """For each of `user_ids`: their unread messages per room (in `room_ids`, or every room)
    they may read, not counting their own. A room they have never opened counts from its
    first message."""
    if not user_ids:
        return {}
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(user_ids))).all()}
    query = (select(User.id, ChatMessage.room_id, func.count(ChatMessage.id))
             .select_from(User)
             .join(ChatMessage, ChatMessage.author_id != User.id)
             .outerjoin(ChatRead, (ChatRead.user_id == User.id)
                        & (ChatRead.room_id == ChatMessage.room_id))
             .where(User.id.in_(users), ChatMessage.deleted_at.is_(None),
                    ChatMessage.id > func.coalesce(ChatRead.last_read_id, 0))
             .group_by(User.id, ChatMessage.room_id))
    if room_ids is not None:
        query = query.where(ChatMessage.room_id.in_(room_ids))
    counts: dict[int, dict[int, int]] = {uid: {} for uid in users}
    for user_id, room_id, count in session.exec(query).all():
        counts[user_id][room_id] = count
    readable = _readable_rooms(session, users.values(),
                               {r for per in counts.values() for r in per})
    result = {}
    for user_id, per_room in counts.items():
        per_room = {r: n for r, n in per_room.items() if r in readable[user_id]}
        result[user_id] = Unread(per_room, _mentioned(session, users[user_id], per_room))
    return result


def _readable_rooms(session: Session, users, room_ids: set[int]) -> dict[int, set[int]]:
    room_rows = {room.id: room for room in session.exec(
        select(Room).where(Room.id.in_(room_ids))).all()} if room_ids else {}
    return {user.id: {room_id for room_id, room in room_rows.items()
                      if rooms.may_see(session=session, user=user, room=room)
                      and not rooms.removed(session=session, user=user, room=room)}
            for user in users}


def _mentioned(session: Session, user: User, per_room: dict[int, int]) -> frozenset[int]:
    if not per_room:
        return frozenset()
    marker = dict(session.exec(select(ChatRead.room_id, ChatRead.last_read_id)
                               .where(ChatRead.user_id == user.id,
                                      ChatRead.room_id.in_(per_room))).all())
    rows = session.exec(
        select(ChatMessage.room_id, ChatMessage.id, ChatMessage.body)
        .where(ChatMessage.room_id.in_(per_room), ChatMessage.author_id != user.id,
               ChatMessage.deleted_at.is_(None),
               func.lower(ChatMessage.body).contains("@" + user.username.lower()))
        .order_by(ChatMessage.id.desc()).limit(MENTION_SCAN)).all()
    return frozenset(room_id for room_id, message_id, body in rows
                     if message_id > marker.get(room_id, 0) and mentions(body, user.username))


def readers(*, session: Session, room_id: int, user_ids: set[int]) -> dict[int, str]:
    """Of `user_ids`, those who may read the room's chat, with their usernames (to find
    mentions); nobody when the room is gone. As rooms.admit decides, in three queries
    whatever the number of users (this runs for every message a worker delivers)."""
    room = session.get(Room, room_id)
    if room is None or not user_ids:
        return {}
    allowed = set(user_ids) - set(session.exec(
        select(RoomRemoval.user_id).where(RoomRemoval.room_id == room_id)).all())
    if room.private:
        allowed &= {room.owner_id, *session.exec(
            select(RoomMember.user_id).where(RoomMember.room_id == room_id)).all()}
    return dict(session.exec(select(User.id, User.username).where(User.id.in_(allowed))).all())


def seen_by(*, session: Session, room_id: int, user_ids: set[int], upto: int) -> None:
    """Users whose open chat of the room has shown them everything up to `upto` (the live
    view, for sockets the room already admitted) have read it."""
    have = dict(session.exec(select(ChatRead.user_id, ChatRead.last_read_id)
                             .where(ChatRead.room_id == room_id,
                                    ChatRead.user_id.in_(user_ids))).all())
    for user_id in user_ids - have.keys():
        session.add(ChatRead(user_id=user_id, room_id=room_id, last_read_id=upto))
    behind = [user_id for user_id, last in have.items() if last < upto]
    if behind:
        table = ChatRead.__table__
        session.connection().execute(
            update(table).where(table.c.room_id == room_id, table.c.user_id.in_(behind),
                                table.c.last_read_id < upto).values(last_read_id=upto))
    session.flush()


@dataclasses.dataclass(frozen=True)
class Arrival:
    """A new message, as the unread counts need it."""

    id: int
    room_id: int
    author_id: int
    body: str


def arrivals(*, session: Session, message_ids: set[int]) -> list[Arrival]:
    """The messages of `message_ids` that still exist, oldest first."""
    if not message_ids:
        return []
    rows = session.exec(select(ChatMessage).where(ChatMessage.id.in_(message_ids),
                                                  ChatMessage.deleted_at.is_(None))
                        .order_by(ChatMessage.id)).all()
    return [Arrival(m.id, m.room_id, m.author_id, m.body) for m in rows]
