"""Presence: which users are online and who is in which call. No reflex import here.

- Online: a user is online while at least one of their tabs holds a live connection.
  Each connection is keyed by the tab's client token, carries the socket id that made it
  (so the late disconnect of an older socket cannot remove a newer one) and expires
  unless its worker refreshes it, so a worker that dies takes its users offline.
- Calls: LiveKit's webhooks are the source of truth; the browser's own join and leave
  are fast hints. After a restart the backend reconciles with LiveKit's participant list.

The stores (memory for one process, Redis for several workers) keep the same data and
obey the same caps; `presence_redis` holds the Redis one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import AsyncIterator, Iterable
from typing import Protocol

# Topics of change notifications: what a worker must re-read before it broadcasts.
ONLINE, MEMBERS, ROOMS = "online", "members", "rooms"
TOPICS = frozenset({ONLINE, MEMBERS, ROOMS})
# Not re-read but acted on: sessions ended (a password change, log out everywhere, an account
# disabled), so each worker checks its lobby sockets' sessions now, not at the heartbeat.
SESSIONS = "sessions"
# Chat's topics name what changed: "chat:<room id>" (re-read that room's chat),
# "chat:<room id>:<message id>" (a new message there) and "read:<user id>" (where that user
# has read to moved).
_CHAT_TOPIC = re.compile(r"(chat:[0-9]{1,18}(:[0-9]{1,18})?|read:[0-9]{1,18})")
# An extension's live field changed: "live:<extension>.<field>" (its value is in the store).
LIVE_PREFIX = "live:"
_LIVE_TOPIC = re.compile(r"live:[a-z][a-z0-9_]{1,31}\.[a-z][a-z0-9_]{0,31}")


def known_topics(topics: Iterable[str]) -> frozenset[str]:
    """The topics of `topics` a worker acts on; anything else is dropped."""
    return frozenset(t for t in topics if t in TOPICS or t == SESSIONS
                     or _CHAT_TOPIC.fullmatch(t) or _LIVE_TOPIC.fullmatch(t))

CONNECTION_TTL_SECONDS = 45.0   # a worker refreshes its connections well within this
HEARTBEAT_SECONDS = 15.0
# Webhooks: one made longer ago than this is refused (a replay, or too late to matter: the
# reconciliation with LiveKit's own listing covers it). An event id is remembered for longer,
# so no replay is ever both unremembered and fresh. (LiveKit signs each one for minutes.)
STALE_EVENT_SECONDS = 600
SEEN_EVENT_SECONDS = 900
# The key of a room's room-level record in the per-participant ledger.
ROOM_RECORD = ""


class OverCapacity(Exception):
    """A connection the caps refuse; the message is for the user."""


def too_many_tabs(limit: int) -> OverCapacity:
    return OverCapacity(f"You already have {limit} tabs open. Close one of them, then "
                        "try again here.")


def server_full(limit: int) -> OverCapacity:
    return OverCapacity(f"The server is full ({limit} connections). Try again in a "
                        "little while.")


@dataclasses.dataclass(frozen=True)
class Connection:
    conn_id: str     # the tab's client token: stable across the tab's reconnects
    sid: str         # the socket that currently carries it
    user_id: int


@dataclasses.dataclass(frozen=True)
class Member:
    """Someone in a call, as LiveKit (or, briefly, their own browser) reports it."""

    identity: str
    name: str
    participant_sid: str = ""   # empty while only the browser's hint has been seen
    screen: bool = False

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> Member:
        return cls(identity=str(raw["identity"]), name=str(raw.get("name", "")),
                   participant_sid=str(raw.get("participant_sid", "")),
                   screen=raw.get("screen") is True)


# -- how each kind of report changes one room's record of one identity ----------------------
# Each returns the new record, or None to delete it. Pure, so both stores share them.

def joined(current: Member | None, identity: str, name: str, participant_sid: str) -> Member:
    keep_screen = current is not None and current.participant_sid == participant_sid
    return Member(identity, name or identity, participant_sid,
                  screen=keep_screen and current.screen)


def left(current: Member | None, participant_sid: str) -> Member | None:
    # A late "left" for an older session must not remove the identity's newer one.
    if current is None or (participant_sid and current.participant_sid
                           and current.participant_sid != participant_sid):
        return current
    if participant_sid and not current.participant_sid:
        return current  # only the browser's hint so far: its own "joined" is still coming
    return None


def sharing(current: Member | None, on: bool) -> Member | None:
    return None if current is None else dataclasses.replace(current, screen=on)


def hinted_join(current: Member | None, identity: str, name: str) -> Member:
    return current if current is not None else Member(identity, name or identity)


def event_admission(ledger: dict[str, int], identity: str, created_at: int,
                    room_finished: bool) -> bool:
    """Whether an event made at `created_at` comes too late for what its room's `ledger`
    ("p:" + identity -> newest applied, ROOM_RECORD -> the room's end, "*" -> newest in the
    room) already holds; if not, records it there. Pure, so both stores share it."""
    identity = "p:" + identity
    if room_finished:
        if created_at < ledger.get("*", 0):
            return False
        ledger[ROOM_RECORD] = max(ledger.get(ROOM_RECORD, 0), created_at)
    else:
        if created_at < max(ledger.get(identity, 0), ledger.get(ROOM_RECORD, 0)):
            return False
        ledger[identity] = max(ledger.get(identity, 0), created_at)
    ledger["*"] = max(ledger.get("*", 0), created_at)
    return True


class PresenceStore(Protocol):
    async def admit_event(self, event_id: str, room: str, identity: str, created_at: int,
                          *, room_finished: bool) -> bool: ...
    async def connect(self, conn: Connection, *, max_total: int, max_per_user: int) -> None: ...
    async def disconnect(self, conn_id: str, sid: str) -> bool: ...
    async def refresh(self, conns: Iterable[Connection]) -> None: ...
    async def online_user_ids(self) -> frozenset[int]: ...
    async def change_member(self, room: str, identity: str, change) -> bool: ...
    async def clear_room(self, room: str) -> bool: ...
    async def replace_members(self, rooms: dict[str, list[Member]]) -> None: ...
    async def members(self) -> dict[str, list[Member]]: ...
    async def publish(self, topics: Iterable[str]) -> None: ...
    async def set_live(self, key: str, value_json: str) -> None: ...
    async def live_values(self) -> dict[str, str]: ...
    async def add_live(self, key: str, delta: int) -> int: ...
    def changes(self) -> AsyncIterator[frozenset[str]]: ...
    async def close(self) -> None: ...


class MemoryPresenceStore:
    """The embedded default: one process holds everything."""

    def __init__(self, *, ttl: float = CONNECTION_TTL_SECONDS, clock=time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._conns: dict[str, tuple[Connection, float]] = {}
        self._rooms: dict[str, dict[str, Member]] = {}
        self._changes: asyncio.Queue[frozenset[str]] = asyncio.Queue()
        self._seen_events: dict[str, float] = {}     # event id -> when to forget it
        self._ledgers: dict[str, tuple[dict[str, int], float]] = {}  # room -> (ledger, forget)
        self._wall_clock = time.time
        self._live: dict[str, str] = {}   # live field key -> its value's JSON

    async def admit_event(self, event_id: str, room: str, identity: str, created_at: int,
                          *, room_finished: bool) -> bool:
        now = self._wall_clock()
        if len(self._seen_events) > 10_000 or len(self._ledgers) > 10_000:
            self._seen_events = {e: t for e, t in self._seen_events.items() if t > now}
            self._ledgers = {r: entry for r, entry in self._ledgers.items() if entry[1] > now}
        if event_id:
            if self._seen_events.get(event_id, 0) > now:
                return False
            self._seen_events[event_id] = now + SEEN_EVENT_SECONDS
        ledger, forget = self._ledgers.get(room, ({}, 0))
        if forget <= now:
            ledger = {}
        if not event_admission(ledger, identity, created_at, room_finished):
            return False
        self._ledgers[room] = (ledger, now + SEEN_EVENT_SECONDS)
        return True

    def _sweep(self) -> None:
        now = self._clock()
        for conn_id in [c for c, (_, expires) in self._conns.items() if expires <= now]:
            del self._conns[conn_id]

    async def connect(self, conn: Connection, *, max_total: int, max_per_user: int) -> None:
        self._sweep()
        existing = self._conns.get(conn.conn_id)
        if existing is None or existing[0].user_id != conn.user_id:
            others = [c for c, _ in self._conns.values() if c.conn_id != conn.conn_id]
            if sum(1 for c in others if c.user_id == conn.user_id) >= max_per_user:
                raise too_many_tabs(max_per_user)
            if len(others) >= max_total:
                raise server_full(max_total)
        self._conns[conn.conn_id] = (conn, self._clock() + self._ttl)

    async def disconnect(self, conn_id: str, sid: str) -> bool:
        existing = self._conns.get(conn_id)
        if existing is None or existing[0].sid != sid:
            return False
        del self._conns[conn_id]
        return True

    async def refresh(self, conns: Iterable[Connection]) -> None:
        expires = self._clock() + self._ttl
        for conn in conns:
            self._conns[conn.conn_id] = (conn, expires)

    async def online_user_ids(self) -> frozenset[int]:
        self._sweep()
        return frozenset(conn.user_id for conn, _ in self._conns.values())

    async def change_member(self, room: str, identity: str, change) -> bool:
        members = self._rooms.setdefault(room, {})
        before = members.get(identity)
        after = change(before)
        if after == before:
            if not members:
                del self._rooms[room]
            return False
        if after is None:
            del members[identity]
        else:
            members[identity] = after
        if not members:
            del self._rooms[room]
        return True

    async def clear_room(self, room: str) -> bool:
        return self._rooms.pop(room, None) is not None

    async def replace_members(self, rooms: dict[str, list[Member]]) -> None:
        self._rooms = {room: {m.identity: m for m in members}
                       for room, members in rooms.items() if members}

    async def members(self) -> dict[str, list[Member]]:
        return {room: list(members.values()) for room, members in self._rooms.items()}

    async def publish(self, topics: Iterable[str]) -> None:
        self._changes.put_nowait(known_topics(topics))

    async def set_live(self, key: str, value_json: str) -> None:
        self._live[key] = value_json

    async def live_values(self) -> dict[str, str]:
        return dict(self._live)

    async def add_live(self, key: str, delta: int) -> int:
        value = int(self._live.get(key, "0")) + delta
        self._live[key] = str(value)
        return value

    async def changes(self) -> AsyncIterator[frozenset[str]]:
        while True:
            yield await self._changes.get()

    async def close(self) -> None:
        return None


# -- reports from LiveKit -------------------------------------------------------------------

SCREEN_SHARE_SOURCE = 3   # livekit TrackSource.SCREEN_SHARE


async def admit_call_event(store: PresenceStore, event, *, now: float | None = None) -> bool:
    """Whether one verified webhook (a `webhooks.CallEvent`) about a call's presence is
    news: a signed webhook can be captured and sent again, so an event whose id was seen
    already, one made before the newest admitted for that participant (or that room's end),
    and one older than STALE_EVENT_SECONDS are not."""
    room, identity = event.room_name, event.identity
    created_at = event.created_at if isinstance(event.created_at, int) else 0
    if created_at and created_at < (time.time() if now is None else now) - STALE_EVENT_SECONDS:
        return False
    applies = (event.kind == "room_finished" or (identity and (
        event.kind in ("participant_joined", "participant_left", "participant_connection_aborted")
        or (event.kind in ("track_published", "track_unpublished") and event.screen_share))))
    return bool(applies) and await store.admit_event(
        event.event_id, room, identity, created_at, room_finished=event.kind == "room_finished")


async def apply_admitted_call_event(store: PresenceStore, event) -> bool:
    """Applies a webhook `admit_call_event` admitted; True if presence changed."""
    room, identity = event.room_name, event.identity
    if event.kind == "room_finished":
        changed = await store.clear_room(room)
    elif event.kind == "participant_joined":
        changed = await store.change_member(room, identity, lambda cur: joined(
            cur, identity, event.participant_name, event.participant_sid))
    elif event.kind in ("participant_left", "participant_connection_aborted"):
        changed = await store.change_member(room, identity,
                                            lambda cur: left(cur, event.participant_sid))
    else:
        on = event.kind == "track_published"
        changed = await store.change_member(room, identity, lambda cur: sharing(cur, on))
    if changed:
        await store.publish({MEMBERS})
    return changed


async def apply_call_event(store: PresenceStore, event, *, now: float | None = None) -> bool:
    """Apply one verified webhook if it is news (`admit_call_event`); True if presence
    changed."""
    if not await admit_call_event(store, event, now=now):
        return False
    return await apply_admitted_call_event(store, event)


def member_from_participant(participant) -> Member:
    """A Member from LiveKit's ParticipantInfo (as listed through its server API)."""
    return Member(participant.identity, participant.name or participant.identity,
                  participant.sid,
                  screen=any(track.source == SCREEN_SHARE_SOURCE for track in participant.tracks))


async def reconcile(store: PresenceStore, seen: dict[str, list[Member]],
                    calls: dict[str, list[Member]]) -> bool:
    """Make the store agree with LiveKit's listing `calls`, taken after reading `seen` from
    the store. A record that changed in between (a webhook won the race) is left alone."""
    changed = False
    seen_by_key = {(room, m.identity): m for room, members in seen.items() for m in members}
    listed = {(room, m.identity): m for room, members in calls.items() for m in members}
    for (room, identity), was in seen_by_key.items():
        if (room, identity) not in listed:
            changed |= await store.change_member(
                room, identity, lambda cur, was=was: None if cur == was else cur)
    for (room, identity), truth in listed.items():
        was = seen_by_key.get((room, identity))
        changed |= await store.change_member(
            room, identity, lambda cur, was=was, truth=truth: truth if cur == was else cur)
    if changed:
        await store.publish({MEMBERS})
    return changed
