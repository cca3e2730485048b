"""Replayed LiveKit webhooks, against the in-process presence store."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import time

from livekit import api

from distokoloshe import presence, webhooks
from distokoloshe.settings import get_settings
from distokoloshe.webhooks import CallEvent

ROOM = "room-3"


def signed(kind: str, identity: str, event_id: str, created_at: int, sid: str = "P1"
           ) -> CallEvent:
    return CallEvent(kind=kind, room_name=ROOM, identity=identity, participant_name="Ann",
                     participant_sid=sid, event_id=event_id, created_at=created_at)


async def test_a_replayed_join_after_the_leave_adds_no_ghost():
    store, now = presence.MemoryPresenceStore(), int(time.time())
    joined = signed("participant_joined", "1", "EV_a", now - 3)
    assert await presence.apply_call_event(store, joined)
    assert await presence.apply_call_event(store, signed("participant_left", "1", "EV_b", now))
    assert not await presence.apply_call_event(store, joined)
    assert not await presence.apply_call_event(store, dataclasses.replace(joined, event_id="EV_c"))
    assert await store.members() == {}


async def test_the_same_event_twice_is_applied_once():
    store, now = presence.MemoryPresenceStore(), int(time.time())
    joined = signed("participant_joined", "1", "EV_a", now)
    left = signed("participant_left", "1", "EV_b", now)  # the same second: both apply
    assert await presence.apply_call_event(store, joined)
    assert await presence.apply_call_event(store, left)
    assert not await presence.apply_call_event(store, joined)
    assert await store.members() == {}


async def test_events_of_one_participant_do_not_hold_back_another():
    store, now = presence.MemoryPresenceStore(), int(time.time())
    assert await presence.apply_call_event(store, signed("participant_joined", "1", "E1", now))
    assert await presence.apply_call_event(store, signed("participant_joined", "2", "E2",
                                                         now - 4, "P2"))
    assert {m.identity for m in (await store.members())[ROOM]} == {"1", "2"}


async def test_a_stale_event_is_dropped_and_ids_are_forgotten_only_after_they_go_stale():
    store = presence.MemoryPresenceStore()
    now = int(time.time())
    old = signed("participant_joined", "1", "EV_old", now - presence.STALE_EVENT_SECONDS - 1)
    assert not await presence.apply_call_event(store, old)
    assert presence.SEEN_EVENT_SECONDS > presence.STALE_EVENT_SECONDS
    # a fresh event is remembered, so it cannot be replayed for as long as it is fresh
    fresh = signed("participant_joined", "1", "EV_new", now)
    assert await presence.apply_call_event(store, fresh)
    store._wall_clock = lambda: now + presence.STALE_EVENT_SECONDS - 1
    await store.clear_room(ROOM)
    assert not await presence.apply_call_event(store, fresh,
                                               now=now + presence.STALE_EVENT_SECONDS - 1)
    assert not await presence.apply_call_event(store, fresh,
                                               now=now + presence.STALE_EVENT_SECONDS + 1)
    assert await store.members() == {}


async def test_a_replayed_room_end_does_not_empty_the_call_that_followed():
    store, now = presence.MemoryPresenceStore(), int(time.time())
    await presence.apply_call_event(store, signed("participant_joined", "1", "E1", now - 9))
    ended = signed("room_finished", "", "E2", now - 8)
    assert await presence.apply_call_event(store, ended)
    assert await presence.apply_call_event(store, signed("participant_joined", "1", "E3", now))
    assert not await presence.apply_call_event(store, ended)
    assert not await presence.apply_call_event(store, dataclasses.replace(ended, event_id="E4"))
    assert [m.identity for m in (await store.members())[ROOM]] == ["1"]


def test_a_verified_webhook_carries_livekits_event_id_and_time():
    body = json.dumps({"event": "participant_joined", "id": "EV_kq2", "createdAt": "1764627000",
                       "room": {"name": ROOM}, "participant": {"identity": "1", "sid": "PA"}}
                      ).encode()
    settings = get_settings()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    authorization = api.AccessToken(settings.livekit_api_key.get_secret_value(),
                                    settings.livekit_api_secret.get_secret_value()
                                    ).with_sha256(digest).to_jwt()
    event = webhooks.verify(body, authorization)
    assert (event.event_id, event.created_at) == ("EV_kq2", 1764627000)
