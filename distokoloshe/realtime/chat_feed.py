"""Chat, live, through the presence hub's broadcast: each room's newest messages to every
tab looking at that room, and each user's unread counts to every tab of theirs.

A tab that opens a room's chat loads its history itself (state/chat.py), then watches the
room here. What the hub sends it is that room's live window: every message after
`live_start`, encoded once per change and written to every socket watching the room. The
window starts as the newest page and grows; past WINDOW_MAX messages it is cut back to the
newest page and its watchers are asked to fetch what fell out of it (`refill`), so a frame
stays bounded. Edits and deletes re-read the window; a message older than the window that
is edited or deleted changes in a tab when it opens the room again.

Unread counts: a new message adds one for every local user who may read its room, is not
its author and is not looking at that room (those have read it: their marker moves on);
a user whose marker moved elsewhere ("read:<id>"), or who is new here, is counted afresh
in the database.

Topics (presence.known_topics): "chat:<room>:<message>" a new message, "chat:<room>" that
room's chat changed otherwise (an edit, a delete, who may read it), "read:<user>".
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

from distokoloshe import chat
from distokoloshe.db import session_scope
from distokoloshe.presence import ROOMS, Connection
from distokoloshe.realtime.frames import encode_json

WINDOW_MAX = 2 * chat.PAGE_SIZE
LIVE_ROOM, LIVE_START, LIVE = "live_room", "live_start", "live"
LAST_ID, LAST_AUTHOR = "live_last_id", "live_last_author"
UNREAD, UNREAD_TOTAL, MENTIONED = "unread", "unread_total", "mentioned"


@dataclasses.dataclass
class Window:
    start: int            # the window holds every message after this id
    json: str             # its messages, as sent
    last: tuple[int, int]  # the newest message's id and author (0, 0 when none)


@dataclasses.dataclass
class Changes:
    """What one batch of topics asks for."""

    new: set[int] = dataclasses.field(default_factory=set)        # message ids
    rooms: set[int] = dataclasses.field(default_factory=set)      # rooms to re-read
    readers: set[int] = dataclasses.field(default_factory=set)    # users to count afresh


def parse(topics: set[str]) -> Changes:
    changes = Changes()
    for topic in topics:
        kind, _, rest = topic.partition(":")
        ids = [int(part) for part in rest.split(":") if part.isascii() and part.isdigit()]
        if kind == "chat" and len(ids) == 2:
            changes.rooms.add(ids[0])
            changes.new.add(ids[1])
        elif kind == "chat" and len(ids) == 1:
            changes.rooms.add(ids[0])
        elif kind == "read" and len(ids) == 1:
            changes.readers.add(ids[0])
    return changes


@dataclasses.dataclass
class _Read:
    """What one trip to the database brought back."""

    windows: dict[int, tuple[list[dict], int, bool]]   # room -> (views, start, cut back)
    readers: dict[int, dict[int, str]]                 # room -> its local readers' usernames
    arrivals: list[chat.Arrival]
    counted: dict[int, chat.Unread]


def _read(changes: Changes, viewers: dict[int, set[int]], starts: dict[int, int],
          new_rooms: set[int], users: set[int], recount: set[int]) -> _Read:
    """One trip to the database for one batch. `viewers`: room -> the users looking at it
    here; `starts`: room -> where its window as last sent starts."""
    watched = viewers.keys()
    refresh = (changes.rooms & watched) | new_rooms
    windows, readers = {}, {}
    with session_scope() as session:
        arrivals = chat.arrivals(session=session, message_ids=changes.new)
        for room_id in {a.room_id for a in arrivals} | (changes.rooms & watched):
            readers[room_id] = chat.readers(session=session, room_id=room_id, user_ids=users)
        for room_id in refresh:
            views, start = chat.latest(session=session, room_id=room_id,
                                       since_id=starts.get(room_id, 0))
            cut = len(views) > WINDOW_MAX
            if cut:
                views, start = chat.latest(session=session, room_id=room_id)
            windows[room_id] = ([dataclasses.asdict(v) for v in views], start, cut)
            allowed = readers.get(room_id)
            seeing = viewers.get(room_id, set())
            if allowed is not None:
                seeing &= allowed.keys()
            if views and seeing:
                chat.seen_by(session=session, room_id=room_id, user_ids=seeing,
                             upto=views[-1].id)
        counted = chat.unread(session=session, user_ids=recount) if recount else {}
    return _Read(windows, readers, arrivals, counted)


Send = Callable[..., Awaitable[None]]


class ChatFeed:
    def __init__(self) -> None:
        self._watching: dict[str, int] = {}            # sid -> the room whose chat it shows
        self._windows: dict[int, Window] = {}
        self._counts: dict[int, dict[int, int]] = {}   # local user -> room -> unread
        self._mentioned: dict[int, set[int]] = {}
        self._sent_unread: dict[int, str] = {}         # user -> JSON of what was last sent
        self._new_watchers: set[str] = set()
        self._greet: set[str] = set()                  # sockets that need their unread counts

    # -- what the hub calls -------------------------------------------------------------------

    def watch(self, sid: str, room_id: int) -> None:
        self._watching[sid] = room_id
        self._new_watchers.add(sid)

    def unwatch(self, sid: str) -> None:
        self._watching.pop(sid, None)
        self._new_watchers.discard(sid)

    def greet(self, sid: str) -> None:
        self._greet.add(sid)

    def forget(self, sid: str) -> None:
        self.unwatch(sid)
        self._greet.discard(sid)

    def reset(self) -> None:
        """After a failed broadcast: everything is read and sent again."""
        self._windows.clear()
        self._counts.clear()
        self._mentioned.clear()
        self._sent_unread.clear()
        self._new_watchers |= self._watching.keys()

    def pending(self) -> bool:
        return bool(self._new_watchers or self._greet)

    async def broadcast(self, topics: set[str], local: dict[str, Connection], frame,
                        event_frame, send: Send, *, refill_event: str,
                        reopen_event: str) -> bool:
        """Sends what `topics` changed of chat to this worker's sockets in `local`; True if
        anything was sent."""
        for sid in self._watching.keys() - local.keys():
            self.forget(sid)
        self._greet &= local.keys()
        changes = parse(topics)
        watched = set(self._watching.values())
        if ROOMS in topics:  # rooms deleted, made private, members changed: check watchers
            changes.rooms |= watched
        new_rooms = {self._watching[sid] for sid in self._new_watchers}
        for room_id in self._windows.keys() - watched:
            del self._windows[room_id]
        users = {conn.user_id for conn in local.values()}
        for user_id in self._counts.keys() - users:
            self._counts.pop(user_id, None)
            self._mentioned.pop(user_id, None)
            self._sent_unread.pop(user_id, None)
        recount = ((changes.readers & users)
                   | {local[sid].user_id for sid in self._greet
                      if local[sid].user_id not in self._counts})
        if not (changes.new or changes.rooms or recount or new_rooms):
            return False
        # the thread gets copies: events change these on the loop meanwhile
        viewers = {}
        for sid, room_id in self._watching.items():
            viewers.setdefault(room_id, set()).add(local[sid].user_id)
        starts = {room_id: window.start for room_id, window in self._windows.items()}
        read = await asyncio.to_thread(_read, changes, viewers, starts, new_rooms, users,
                                       recount)
        sent = await self._send_windows(read, changes, local, frame, event_frame, send,
                                        refill_event, reopen_event)
        self._count(read, recount, local)
        return await self._send_unread(local, frame, send) or sent

    # -- one trip to the database -------------------------------------------------------------

    # -- sending --------------------------------------------------------------------------------

    async def _send_windows(self, read: _Read, changes: Changes, local, frame, event_frame,
                            send: Send, refill_event: str, reopen_event: str) -> bool:
        sent = False
        new_watchers, self._new_watchers = self._new_watchers, set()
        for room_id, (views, start, cut) in read.windows.items():
            text = encode_json(views)
            last = (views[-1]["id"], views[-1]["author_id"]) if views else (0, 0)
            known = self._windows.get(room_id)
            changed = known is None or known.json != text or known.start != start
            self._windows[room_id] = Window(start, text, last)
            allowed = read.readers.get(room_id)
            watchers = [sid for sid, r in self._watching.items() if r == room_id]
            shut = [sid for sid in watchers
                    if allowed is not None and local[sid].user_id not in allowed]
            for sid in shut:  # removed, or the room went private or away: it looks again
                self.unwatch(sid)
                await send(frame({LIVE_ROOM: "0", LIVE: "[]"}), sids=[sid])
                await send(event_frame(reopen_event), sids=[sid])
            watchers = [sid for sid in watchers if sid not in shut]
            targets = watchers if changed else [s for s in watchers if s in new_watchers]
            if targets:
                await send(frame({LIVE_ROOM: str(room_id), LIVE_START: str(start),
                                  LIVE: text, LAST_ID: str(last[0]),
                                  LAST_AUTHOR: str(last[1])}), sids=targets)
                sent = True
            if cut and known is not None:
                refill = [sid for sid in watchers if sid not in new_watchers]
                if refill:
                    await send(event_frame(refill_event), sids=refill)
        return sent

    def _count(self, read: _Read, recount: set[int], local) -> None:
        for user_id, found in read.counted.items():
            self._counts[user_id] = dict(found.counts)
            self._mentioned[user_id] = set(found.mentioned)
        looking = {(local[sid].user_id, room_id) for sid, room_id in self._watching.items()}
        for arrival in read.arrivals:
            for user_id, username in read.readers.get(arrival.room_id, {}).items():
                if (user_id == arrival.author_id or user_id in recount
                        or user_id not in self._counts):
                    continue
                if (user_id, arrival.room_id) in looking:
                    continue
                counts = self._counts[user_id]
                counts[arrival.room_id] = counts.get(arrival.room_id, 0) + 1
                if chat.mentions(arrival.body, username):
                    self._mentioned[user_id].add(arrival.room_id)
        for user_id, room_id in looking:  # what a tab shows is read
            if user_id in self._counts:
                self._counts[user_id].pop(room_id, None)
                self._mentioned[user_id].discard(room_id)
        for room_id, allowed in read.readers.items():  # who may no longer read it
            for user_id, counts in self._counts.items():
                if user_id not in allowed:
                    counts.pop(room_id, None)
                    self._mentioned[user_id].discard(room_id)

    async def _send_unread(self, local: dict[str, Connection], frame, send: Send) -> bool:
        greet, self._greet = self._greet, set()
        sent = False
        by_user: dict[int, list[str]] = {}
        for sid, conn in local.items():
            by_user.setdefault(conn.user_id, []).append(sid)
        for user_id, counts in self._counts.items():
            text = encode_json({str(room): n for room, n in sorted(counts.items())})
            mentioned = encode_json(sorted(self._mentioned.get(user_id, ())))
            both = text + mentioned
            sids = by_user.get(user_id, [])
            targets = (sids if self._sent_unread.get(user_id) != both
                       else [sid for sid in sids if sid in greet])
            self._sent_unread[user_id] = both
            if targets:
                await send(frame({UNREAD: text, UNREAD_TOTAL: str(sum(counts.values())),
                                  MENTIONED: mentioned}), sids=targets)
                sent = True
        return sent
