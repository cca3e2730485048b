"""What the presence hub sends every lobby tab: plain dataclasses, typed for the UI."""

from __future__ import annotations

import dataclasses

from distokoloshe import presence, rooms
from distokoloshe.livekit_tokens import livekit_room_name


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


def member_views(room_ids: list[int],
                 members: dict[str, list[presence.Member]]) -> dict[int, list[dict]]:
    """Who is in each room's call (an empty list for a quiet room), sorted by name."""
    return {
        room_id: [dataclasses.asdict(MemberView(m.identity, m.name, initial(m.name), m.screen))
                  for m in sorted(members.get(livekit_room_name(room_id), ()),
                                  key=lambda m: (m.name.casefold(), m.identity))]
        for room_id in room_ids
    }


def visible_to(views: list[dict], private_rooms: frozenset[int]) -> list[dict]:
    """The public rooms and, of the private ones, those in `private_rooms`."""
    return [view for view in views if not view["private"] or view["id"] in private_rooms]
