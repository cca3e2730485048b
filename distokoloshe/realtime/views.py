"""What the presence hub sends every lobby tab: plain dataclasses, typed for the UI."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from distokoloshe import chat, presence, rooms


@dataclasses.dataclass
class PersonView:
    id: int
    name: str
    initial: str


@dataclasses.dataclass
class MemberView:
    identity: str
    name: str
    initial: str
    screen: bool


@dataclasses.dataclass
class RoomView:
    """A room as the list shows it; who is in its call is sent apart (room_feed.py), so a
    join changes one room's entry, not the whole list."""

    id: int
    name: str
    owner_id: int
    owner_name: str
    encryption_required: bool
    private: bool


def initial(name: str) -> str:
    return (name[:1] or "?").upper()


def person_views(names: list[tuple[int, str]]) -> list[dict]:
    return [dataclasses.asdict(PersonView(uid, name, initial(name))) for uid, name in names]


def room_views(summaries: list[rooms.RoomSummary]) -> list[dict]:
    return [dataclasses.asdict(RoomView(room.id, room.name, room.owner_id, room.owner_name,
                                        room.encryption_required, room.private))
            for room in summaries]


def call_view(members: Iterable[presence.Member]) -> list[dict]:
    """Who is in one call, sorted by name (plain dicts, built directly: this runs on every
    join of a call)."""
    return [MemberView(m.identity, m.name, initial(m.name), m.screen).__dict__
            for m in sorted(members, key=lambda m: (m.name.casefold(), m.identity))]


def visible_to(views: list[dict], private_rooms: frozenset[int]) -> list[dict]:
    """The public rooms and, of the private ones, those in `private_rooms`."""
    return [view for view in views if not view["private"] or view["id"] in private_rooms]


@dataclasses.dataclass
class MessagePart:
    """A stretch of a message's text, or a link (`url` set: only http and https)."""

    text: str
    url: str


@dataclasses.dataclass
class ChatMessageView:
    """One chat message as a tab shows it (chat.MessageView, typed for the UI)."""

    id: int
    room_id: int
    author_id: int
    author_name: str
    initial: str
    body: str
    parts: list[MessagePart]
    created_at: str
    edited: bool
    continues: bool


def chat_message_views(messages: Iterable[chat.MessageView]) -> list[ChatMessageView]:
    return [ChatMessageView(**{**dataclasses.asdict(m),
                               "parts": [MessagePart(**part) for part in m.parts]})
            for m in messages]
