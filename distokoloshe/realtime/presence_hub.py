"""Pushes presence to every lobby tab as one Reflex state delta, encoded once per change.

Why not an `rx.SharedState`: that pushes each change to linked clients one at a time, as a
full state modify each, re-sends everything to everyone on every join and never forgets
departed clients (measured: overload at 500 clients). Here a change costs one
serialization and one cheap send per socket, changes that follow one another within
BATCH_SECONDS are coalesced into one send, newcomers get their own copy without disturbing
anyone else, and a closed socket simply leaves the room.

One hub runs per backend worker (a lifespan task). Each worker's lobby sockets join that
worker's socket.io room; the data and the change notifications live in the presence store,
so with Redis every worker hears every change and sends it to its own sockets.

This relies on Reflex internals, pinned in pyproject and covered by the presence tests:
the socket server (`app.sio`), the event namespace, its `on_disconnect`, the socket id in
`router.session.session_id`, and the `{"delta": {state: {var_rx_state_: value}}}` wire format
(realtime/frames.py builds the frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time

from engineio import packet as engineio_packet

from distokoloshe import accounts, calls, extension_registry, livekit_admin, presence, rooms
from distokoloshe.db import session_scope
from distokoloshe.extension_spec import CallEvent, Hook
from distokoloshe.livekit_tokens import (
    SESSION_VERSION_ATTRIBUTE,
    livekit_room_name,
    room_id_of,
    user_id_of,
)
from distokoloshe.presence import (
    LIVE_PREFIX,
    MEMBERS,
    ONLINE,
    ROOMS,
    SESSIONS,
    TOPICS,
    Connection,
)
from distokoloshe.presence_redis import RedisPresenceStore
from distokoloshe.realtime.chat_feed import ChatFeed
from distokoloshe.realtime.frames import delta_frame, encode_json, event_frame
from distokoloshe.realtime.room_feed import RoomFeed
from distokoloshe.realtime.socket_writes import send_to_all
from distokoloshe.realtime.views import call_view, person_views, room_views, visible_to
from distokoloshe.settings import get_settings

log = logging.getLogger(__name__)

SOCKET_ROOM = "dtk-presence"
BATCH_SECONDS = 0.05
RECONCILE_SECONDS = 30.0
FULL_COLLECTION_SECONDS = 600.0
# Not a topic anyone publishes: every extension's live fields are re-read (at start, after
# a failed broadcast).
ALL_LIVE = f"{LIVE_PREFIX}*"
# The webhooks that extensions hear of (once each: the webhook reaches one worker).
CALL_HOOKS = {"participant_joined": Hook.CALL_JOINED, "participant_left": Hook.CALL_LEFT,
              "participant_connection_aborted": Hook.CALL_LEFT}


def _live_changed(dirty: set[str]) -> bool:
    return any(topic.startswith(LIVE_PREFIX) for topic in dirty)


def make_store() -> presence.PresenceStore:
    url = get_settings().reflex_redis_url
    return RedisPresenceStore(url) if url else presence.MemoryPresenceStore()


def _people() -> list[dict]:
    with session_scope() as session:
        return person_views(accounts.list_display_names(session=session))


def _rooms() -> tuple[list[rooms.RoomSummary], dict[int, frozenset[int]]]:
    with session_scope() as session:
        return rooms.list_rooms(session=session), rooms.private_audiences(session=session)


def _outsiders(participants: list[calls.Participant]) -> list[calls.Participant]:
    with session_scope() as session:
        return calls.outsiders(session=session, participants=participants)


def _signed_out(tokens: dict[str, str]) -> set[str]:
    """The sockets (of `tokens`: sid -> its tab's session token) whose session has ended."""
    verdicts: dict[str, bool] = {}
    with session_scope() as session:
        for token in set(tokens.values()):
            verdicts[token] = accounts.user_for_session_token(session=session,
                                                              token=token) is None
    return {sid for sid, token in tokens.items() if verdicts[token]}


class PresenceHub:
    def __init__(self) -> None:
        self.store: presence.PresenceStore | None = None
        self._sio = None
        self._namespace = "/_event"
        self._state_name = ""
        self._local: dict[str, Connection] = {}     # this worker's lobby sockets, by sid
        self._session_of: dict[str, str] = {}         # sid -> the session token it signed in with
        self._recheck_event = ""
        self._sid_of_tab: dict[str, str] = {}        # conn_id -> its sid in _local
        self._newcomers: set[str] = set()
        self._dirty: set[str] = {*TOPICS, ALL_LIVE}
        self._wake = asyncio.Event()
        self._sent: dict[str, str] = {}               # var -> JSON of what was last broadcast
        self._values: dict[str, object] = {"people": [], "online": [], "live": {}}
        # Rooms differ by who may see which private room: each socket gets the list for its
        # user's private rooms (its audience), encoded once per audience (nearly always one:
        # none). Who is in each call is sent apart, as patches (room_feed.py).
        self._room_views: list[dict] = []
        # room id -> (who is in its call, that call's JSON)
        self._calls: dict[int, tuple[tuple[presence.Member, ...], str]] = {}
        self._private_rooms_of: dict[int, frozenset[int]] = {}  # user id -> private room ids
        self._feed = RoomFeed()
        self._rooms_seen_by: dict[str, frozenset[int]] = {}    # sid -> its audience's feed
        self._summaries: list[rooms.RoomSummary] = []
        self._members: dict[str, list[presence.Member]] = {}
        self._known_people: set[int] = set()
        self._last_full_collection = time.monotonic()
        # Chat rides the same loop: its frames set vars of the chat state (chat_feed.py).
        self._chat = ChatFeed()
        self._chat_state_name = ""
        self._chat_events = ("", "")   # (refill, reopen): full names of the chat state's events

    @property
    def running(self) -> bool:
        return self.store is not None

    # -- lifecycle ------------------------------------------------------------------------

    async def run(self, app, state_name: str, recheck_event: str, chat_state_name: str = "",
                  chat_refill_event: str = "", chat_reopen_event: str = "") -> None:
        """Lifespan task of every backend worker (app.py binds it): `state_name` is the full
        name of the state whose vars the hub sets in every lobby tab, and `recheck_event` the
        event that makes a tab check its own session (and leave if it has ended). The chat
        state's vars and events are named likewise (realtime/chat_feed.py)."""
        self._state_name, self._recheck_event = state_name, recheck_event
        self._chat_state_name = chat_state_name
        self._chat_events = (chat_refill_event, chat_reopen_event)
        self._sio = app.sio
        namespace = app.event_namespace
        self._namespace = namespace.namespace
        reflex_on_disconnect = namespace.on_disconnect

        def on_disconnect(sid: str, *args):
            self.forget_socket(sid)
            return reflex_on_disconnect(sid, *args)

        namespace.on_disconnect = on_disconnect
        self.store = make_store()
        self._wake = asyncio.Event()
        self._wake.set()
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._listen())
                tasks.create_task(self._broadcast_forever())
                tasks.create_task(self._heartbeat_forever())
                tasks.create_task(self._reconcile_forever())
        finally:
            namespace.on_disconnect = reflex_on_disconnect
            store, self.store = self.store, None
            await store.close()

    # -- what states and the webhook call ----------------------------------------------------

    async def subscribe(self, *, sid: str, conn_id: str, user_id: int, session_token: str) -> None:
        """A signed-in lobby tab; raises presence.OverCapacity when a cap refuses it. Its
        session token is kept (in this process only), so the heartbeat can tell when that
        session ends elsewhere ("Log out everywhere", a password change)."""
        if not self.running or not sid:
            return
        settings = get_settings()
        conn = Connection(conn_id, sid, user_id)
        await self.store.connect(conn, max_total=settings.max_connections,
                                 max_per_user=settings.max_connections_per_user)
        old_sid = self._sid_of_tab.get(conn_id)
        if old_sid is not None and old_sid != sid:  # the same tab on a new socket
            self._local.pop(old_sid, None)
        self._sid_of_tab[conn_id] = sid
        self._local[sid] = conn
        self._session_of[sid] = session_token
        await self._sio.enter_room(sid, SOCKET_ROOM, namespace=self._namespace)
        self._newcomers.add(sid)
        self._chat.greet(sid)
        await self.store.publish({ONLINE})

    async def unsubscribe(self, *, sid: str) -> None:
        """Signed out, or left the lobby: no longer online through this socket."""
        conn = self._local.pop(sid, None)
        self._session_of.pop(sid, None)
        self._rooms_seen_by.pop(sid, None)
        self._newcomers.discard(sid)
        self._chat.forget(sid)
        if conn is not None and self._sid_of_tab.get(conn.conn_id) == sid:
            del self._sid_of_tab[conn.conn_id]
        if conn is None or not self.running:
            return
        with contextlib.suppress(KeyError, ValueError):
            await self._sio.leave_room(sid, SOCKET_ROOM, namespace=self._namespace)
        if await self.store.disconnect(conn.conn_id, sid):
            await self.store.publish({ONLINE})

    # -- chat -----------------------------------------------------------------------------------

    def watch_chat(self, *, sid: str, room_id: int) -> None:
        """This lobby socket shows the room's chat (the room admitted its user): it gets the
        room's live messages from now on."""
        if self.running and sid in self._local:
            self._chat.watch(sid, room_id)
            self._wake.set()

    def unwatch_chat(self, *, sid: str) -> None:
        self._chat.unwatch(sid)

    async def chat_posted(self, room_id: int, message_id: int) -> None:
        if self.running:
            await self.store.publish({f"chat:{room_id}:{message_id}"})

    async def chat_changed(self, room_id: int) -> None:
        """A message was edited or deleted, or who may read the room changed."""
        if self.running:
            await self.store.publish({f"chat:{room_id}"})

    async def chat_read(self, user_id: int) -> None:
        """Where the user has read to moved: their tabs' unread counts are counted again."""
        if self.running:
            await self.store.publish({f"read:{user_id}"})

    def forget_socket(self, sid: str) -> None:
        if sid in self._local:
            asyncio.get_running_loop().create_task(self.unsubscribe(sid=sid))

    async def sessions_ended(self) -> None:
        """Sessions ended elsewhere: every worker sends its tabs of those to the login page
        now."""
        if self.running:
            await self.store.publish({SESSIONS})

    async def rooms_changed(self) -> None:
        if self.running:
            await self.store.publish({ROOMS})

    async def call_event(self, event) -> None:
        """A verified LiveKit webhook. Someone who may not be in the call (removed, signed
        out everywhere, in a room that is gone) is put out of it and never shown."""
        if not self.running:
            return
        if event.kind == "participant_joined" and await self._put_out(
                [calls.Participant(event.room_name, event.identity, event.session_version)]):
            return
        if not await presence.admit_call_event(self.store, event):
            return
        await presence.apply_admitted_call_event(self.store, event)
        # Extensions hear of every admitted join and leave, even one the browser's own
        # hint had already shown (the presence change above is then none).
        if (event.kind in CALL_HOOKS and (room_id := room_id_of(event.room_name))
                and (user_id := user_id_of(event.identity))):
            extension_registry.active().notify(
                CALL_HOOKS[event.kind],
                CallEvent(room_id, user_id, event.participant_name or event.identity))

    async def publish_live(self, key: str, value: object) -> None:
        """An extension's live field has a new value (JSON-able): every lobby tab gets it."""
        if self.running:
            await self.store.set_live(key, encode_json(value))
            await self.store.publish({f"{LIVE_PREFIX}{key}"})

    async def add_live(self, key: str, delta: int) -> int:
        """Adds to an integer live field at once for every worker; returns its new value."""
        if not self.running:
            return 0
        value = await self.store.add_live(key, delta)
        await self.store.publish({f"{LIVE_PREFIX}{key}"})
        return value

    async def calls_of(self, identity: str) -> list[str]:
        """The LiveKit rooms whose call presence has `identity` in."""
        if not self.running:
            return []
        members = await self.store.members()
        return [room for room, people in members.items()
                if any(member.identity == identity for member in people)]

    async def _put_out(self, participants: list[calls.Participant]) -> set[tuple[str, str]]:
        """Removes every outsider among `participants` from LiveKit; returns (room, identity)
        of each one put out."""
        out = await asyncio.to_thread(_outsiders, participants)
        for participant in out:
            log.warning("putting identity %s out of %s: not admitted there any more",
                        participant.identity, participant.livekit_room)
            await livekit_admin.eject(participant.livekit_room, participant.identity)
        return {(p.livekit_room, p.identity) for p in out}

    async def recheck_call(self, room_id: int) -> None:
        """Who may be in this room's call changed (it was made private, a member was taken
        off): put out whoever may no longer be there."""
        participants = await livekit_admin.list_participants(room_id)
        await self._put_out([
            calls.Participant(livekit_room_name(room_id), p.identity,
                              p.attributes.get(SESSION_VERSION_ATTRIBUTE, ""))
            for p in participants])

    async def hint_join(self, room_id: int, identity: str, name: str) -> None:
        if self.running and await self.store.change_member(
                livekit_room_name(room_id), identity,
                lambda cur: presence.hinted_join(cur, identity, name)):
            await self.store.publish({MEMBERS})

    async def hint_leave(self, room_id: int, identity: str) -> None:
        if self.running and await self.store.change_member(
                livekit_room_name(room_id), identity, lambda cur: None):
            await self.store.publish({MEMBERS})

    # -- the worker's loops -------------------------------------------------------------------

    async def _listen(self) -> None:
        async for topics in self.store.changes():
            if "resync" in topics:  # Redis came back, perhaps empty: re-register, re-list
                await self._heartbeat()
                await self._reconcile()
            if SESSIONS in topics:
                try:
                    await self._sign_out_ended(dict(self._local))
                except Exception:  # the hub's other loops must go on; the heartbeat retries
                    log.exception("presence: checking ended sessions failed")
            self._dirty |= topics - {SESSIONS}
            self._wake.set()

    async def _broadcast_forever(self) -> None:
        last = 0.0
        while True:
            await self._wake.wait()
            # A lone change goes out at once; a burst right after it waits out the batch
            # window and then goes out as one send.
            await asyncio.sleep(max(0.0, last + BATCH_SECONDS - time.monotonic()))
            self._wake.clear()
            started = time.monotonic()
            try:
                if await self._broadcast():
                    # Only a send opens a batch window: a wake-up that changed nothing
                    # (a heartbeat, a newcomer's own copy) must not delay the next change.
                    last = started
            except Exception:
                log.exception("presence broadcast failed")
                self._dirty |= {*TOPICS, ALL_LIVE}
                self._chat.reset()
                await asyncio.sleep(1.0)
                self._wake.set()

    async def _refresh(self, dirty: set[str]) -> None:
        if ROOMS in dirty:
            self._summaries, audiences = await asyncio.to_thread(_rooms)
            private_rooms_of: dict[int, set[int]] = {}
            for room_id, users in audiences.items():
                for user_id in users:
                    private_rooms_of.setdefault(user_id, set()).add(room_id)
            self._private_rooms_of = {user_id: frozenset(ids)
                                      for user_id, ids in private_rooms_of.items()}
        if MEMBERS in dirty:
            self._members = await self.store.members()
        if ROOMS in dirty:
            self._room_views = room_views(self._summaries)
        if ROOMS in dirty or MEMBERS in dirty:
            self._encode_calls()
        if ONLINE in dirty:
            online = await self.store.online_user_ids()
            if not online <= self._known_people:  # someone new registered
                self._values["people"] = await asyncio.to_thread(_people)
                self._known_people = {person["id"] for person in self._values["people"]}
            self._values["online"] = sorted(online)
        if _live_changed(dirty):
            self._values["live"] = await self._live_values()

    async def _live_values(self) -> dict[str, object]:
        """Every live field of the running extensions: what was published, else what its
        `load` reads (stored, so every worker agrees), else its default."""
        stored = await self.store.live_values()
        values = {}
        for field in extension_registry.active().live_fields():
            if field.key not in stored and field.load is not None:
                stored[field.key] = encode_json(await asyncio.to_thread(field.load))
                await self.store.set_live(field.key, stored[field.key])
            values[field.key] = (json.loads(stored[field.key]) if field.key in stored
                                 else field.default)
        return values

    def _encode_calls(self) -> None:
        """Each room's call as JSON, encoded again only for the calls that changed."""
        encoded: dict[int, tuple[tuple[presence.Member, ...], str]] = {}
        for room in self._summaries:
            people = tuple(self._members.get(livekit_room_name(room.id), ()))
            known = self._calls.get(room.id)
            encoded[room.id] = (known if known is not None and known[0] == people
                                else (people, encode_json(call_view(people))))
        self._calls = encoded

    async def _broadcast(self) -> bool:
        """Sends what changed to every lobby socket; True if anything was sent to them."""
        dirty, self._dirty = self._dirty, set()
        newcomers, self._newcomers = self._newcomers, set()
        await self._refresh(dirty)
        # Only what the dirty topics feed is encoded again (the people list is the largest).
        fed = {"people", "online"} if ONLINE in dirty else set()
        if _live_changed(dirty):
            fed.add("live")
        encoded = {name: encode_json(self._values[name]) for name in sorted(fed)}
        changed = [name for name, text in encoded.items() if self._sent.get(name) != text]
        if changed:
            self._sent.update({name: encoded[name] for name in changed})
            await self._send(self._frame({name: encoded[name] for name in changed}),
                             room=SOCKET_ROOM)
        newcomers &= self._local.keys()
        rooms_sent = (await self._send_rooms(newcomers)
                      if newcomers or dirty & {ROOMS, MEMBERS} else False)
        if newcomers:
            await self._welcome(newcomers)
        chat_sent = await self._chat.broadcast(
            dirty, self._local, self._chat_frame, self._event_frame, self._send,
            refill_event=self._chat_events[0], reopen_event=self._chat_events[1])
        return bool(changed) or rooms_sent or chat_sent

    def _audience(self, sid: str) -> frozenset[int]:
        return self._private_rooms_of.get(self._local[sid].user_id, frozenset())

    async def _send_rooms(self, newcomers: set[str]) -> bool:
        """What changed of the room list to each audience's sockets (to the whole socket room
        when every socket here is one audience), and the whole list to a socket whose
        audience changed. True if anything was sent."""
        groups: dict[frozenset[int], list[str]] = {}
        for sid in self._local:
            groups.setdefault(self._audience(sid), []).append(sid)
        self._feed.keep_only(groups)
        sent = False
        for audience, sids in groups.items():
            visible = visible_to(self._room_views, audience)
            update = self._feed.update(audience, encode_json(visible), {
                view["id"]: self._calls[view["id"]][1] if view["id"] in self._calls else "[]"
                for view in visible})
            settled = [sid for sid in sids
                       if sid not in newcomers and self._rooms_seen_by.get(sid) == audience]
            moved = [sid for sid in sids
                     if sid not in newcomers and self._rooms_seen_by.get(sid) != audience]
            if update and settled:
                everyone = len(groups) == 1 and len(settled) == len(self._local)
                await self._send(self._frame(update),
                                 room=SOCKET_ROOM if everyone else None, sids=settled)
                sent = True
            if moved:
                await self._send(self._frame(self._feed.whole(audience)), sids=moved)
                self._rooms_seen_by.update(dict.fromkeys(moved, audience))
                sent = True
        return sent

    async def _welcome(self, newcomers: set[str]) -> None:
        """Every newcomer of this batch gets a full copy, encoded once per audience among
        them (after _send_rooms has brought each audience's feed up to date)."""
        shared = {name: self._sent.get(name) or encode_json(value)
                  for name, value in self._values.items()}
        by_audience: dict[frozenset[int], list[str]] = {}
        for sid in newcomers:
            by_audience.setdefault(self._audience(sid), []).append(sid)
        for audience, sids in by_audience.items():
            await self._send(self._frame({**shared, **self._feed.whole(audience)}), sids=sids)
            self._rooms_seen_by.update(dict.fromkeys(sids, audience))
        self._freeze_survivors()

    def _frame(self, encoded: dict[str, str]) -> engineio_packet.Packet:
        return delta_frame(self._state_name, encoded, namespace=self._namespace,
                           packet_class=self._sio.packet_class)

    def _chat_frame(self, encoded: dict[str, str]) -> engineio_packet.Packet:
        return delta_frame(self._chat_state_name, encoded, namespace=self._namespace,
                           packet_class=self._sio.packet_class)

    def _event_frame(self, name: str) -> engineio_packet.Packet:
        return event_frame(name, namespace=self._namespace, packet_class=self._sio.packet_class)

    async def _send(self, frame: engineio_packet.Packet, *, room: str | None = None,
                    sids: list[str] = ()) -> None:
        """The same packet to every socket in `room` (the socket room, or one sid) or in
        `sids`, written straight to each websocket where nothing is queued ahead
        (socket_writes.py). python-socketio's own room emit would spawn a task per socket,
        which at hundreds of sockets costs more than the sending itself."""
        manager = self._sio.manager
        if room is not None:
            eio_sids = [eio_sid for _sid, eio_sid
                        in list(manager.get_participants(self._namespace, room))]
        else:
            eio_sids = [manager.eio_sid_from_sid(sid, self._namespace) for sid in sids]
        await send_to_all(self._sio, [e for e in eio_sids if e is not None], frame)

    def _freeze_survivors(self) -> None:
        # With hundreds of tabs connected, a full collection takes tens of milliseconds and
        # shows up as latency. What survives a join (sockets, states) is long-lived, so it
        # goes to the permanent generation; young garbage is collected first so it is not
        # kept, and a full collection now and then (below) returns what was frozen and died.
        gc.collect(1)
        gc.freeze()

    def _collect_everything_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_full_collection >= FULL_COLLECTION_SECONDS:
            self._last_full_collection = now
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    async def _heartbeat(self) -> None:
        connected = {sid: conn for sid, conn in self._local.items()
                     if self._sio.manager.is_connected(sid, self._namespace)}
        for sid in set(self._local) - set(connected):  # a missed disconnect
            await self.unsubscribe(sid=sid)
        await self._sign_out_ended(connected)
        await self.store.refresh(connected.values())

    async def _sign_out_ended(self, connected: dict[str, Connection]) -> None:
        """Drops from `connected` (sid -> connection) each socket whose session has ended:
        offline now, and its tab checks for itself (and goes to the login page)."""
        ended = await asyncio.to_thread(
            _signed_out, {sid: self._session_of.get(sid, "") for sid in connected})
        for sid in ended:
            connected.pop(sid, None)
            await self.unsubscribe(sid=sid)
            await self._send(self._event_frame(self._recheck_event), room=sid)

    async def _heartbeat_forever(self) -> None:
        while True:
            await asyncio.sleep(presence.HEARTBEAT_SECONDS)
            try:
                await self._heartbeat()
            except Exception:
                log.exception("presence heartbeat failed")
            self._collect_everything_now_and_then()
            # Connections of a worker that died expire, and rooms may change in the database
            # without the app (a restored backup): look for both now and then.
            self._dirty |= {ONLINE, ROOMS}
            self._wake.set()

    async def _reconcile(self) -> None:
        seen = await self.store.members()
        listed = await livekit_admin.list_calls()
        out = await self._put_out([
            calls.Participant(room, p.identity, p.attributes.get(SESSION_VERSION_ATTRIBUTE, ""))
            for room, participants in listed.items() for p in participants])
        in_calls = {room: [presence.member_from_participant(p) for p in participants
                           if (room, p.identity) not in out]
                    for room, participants in listed.items()}
        await presence.reconcile(self.store, seen, in_calls)

    async def _reconcile_forever(self) -> None:
        """LiveKit is the truth: after a restart, and now and then in case a webhook was lost."""
        while True:
            try:
                await self._reconcile()
            except Exception as error:  # noqa: BLE001  (LiveKit unreachable: try again later)
                log.warning("presence: could not list LiveKit's calls: %s", error)
            await asyncio.sleep(RECONCILE_SECONDS)


hub = PresenceHub()
