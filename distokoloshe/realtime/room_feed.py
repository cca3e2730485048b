"""What the lobby's room list sends when it changes: the room list itself only when rooms
change, and otherwise just the calls that changed.

Reflex replaces a var whole, so a list of rooms with their members would be sent whole on
every join, a cost that grows with rooms times people. Instead the members travel in two
vars: `members_base` (every visible room's members, sent when rooms change or now and then)
and `members_patch` (the rooms whose calls changed since, which wins over the base; the UI
reads `patch.get(room, base.get(room))`). A join sends the patch: the size of the calls that
changed since the last base, which is rebased once more than PATCH_ROOMS rooms are in it.

One feed is kept per audience: the set of private rooms its sockets may see (nearly always
none, so one audience), since each must only ever be sent the rooms it may see.
"""

from __future__ import annotations

import dataclasses

PATCH_ROOMS = 8
ROOMS, BASE, PATCH = "rooms", "members_base", "members_patch"


def members_json(members: dict[int, str]) -> str:
    """A members var from each room's JSON: {"room id": [member, ...], ...}."""
    return "{" + ",".join(f'"{room_id}":{text}' for room_id, text in members.items()) + "}"


@dataclasses.dataclass
class _Sent:
    rooms: str                  # JSON of the room list
    base: dict[int, str]        # room id -> JSON of its members, as last sent in the base
    patch: dict[int, str]       # the rooms changed since, with their JSON

    def vars(self) -> dict[str, str]:
        return {ROOMS: self.rooms, BASE: members_json(self.base),
                PATCH: members_json(self.patch)}


class RoomFeed:
    def __init__(self) -> None:
        self._sent: dict[frozenset[int], _Sent] = {}

    def update(self, audience: frozenset[int], rooms: str,
               members: dict[int, str]) -> dict[str, str]:
        """Takes the audience's current room list (JSON) and members (room id -> JSON) and
        returns the vars (name -> JSON) to send its sockets for them, empty if nothing
        changed."""
        sent = self._sent.get(audience)
        if sent is None or sent.rooms != rooms:
            fresh = self._sent[audience] = _Sent(rooms, dict(members), {})
            return fresh.vars() if sent is not None else {}
        current = {**sent.base, **sent.patch}
        changed = {room_id: text for room_id, text in members.items()
                   if current.get(room_id) != text}
        if not changed:
            return {}
        if len(sent.patch.keys() | changed.keys()) > PATCH_ROOMS:
            sent.base, sent.patch = dict(members), {}
            return {BASE: members_json(sent.base), PATCH: members_json(sent.patch)}
        sent.patch.update(changed)
        return {PATCH: members_json(sent.patch)}

    def whole(self, audience: frozenset[int]) -> dict[str, str]:
        """Everything a socket new to this audience needs (after `update` for it)."""
        return self._sent[audience].vars()

    def keep_only(self, audiences) -> None:
        for audience in self._sent.keys() - set(audiences):
            del self._sent[audience]
