"""The presence stores: the in-process one and the Redis one (a real redis-server) obey the
same contract. With Redis, two store objects stand for two backend workers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
import time

import pytest
import redis

from distokoloshe import presence
from distokoloshe.presence import Connection, Member, OverCapacity
from distokoloshe.presence_redis import RedisPresenceStore
from distokoloshe.webhooks import CallEvent

ROOM = "room-7"


@pytest.fixture(params=["memory", "redis"])
async def workers(request):
    """Two views of one presence: the same object in process, two clients of one Redis."""
    if request.param == "memory":
        store = presence.MemoryPresenceStore(ttl=0.4)
        yield store, store
        return
    url = request.getfixturevalue("redis_url")
    first, second = RedisPresenceStore(url, ttl=0.4), RedisPresenceStore(url, ttl=0.4)
    yield first, second
    await first.close()
    await second.close()


async def connect(store, conn_id: str, user_id: int, sid: str | None = None, *,
                  max_total: int = 500, max_per_user: int = 3) -> None:
    await store.connect(Connection(conn_id, sid or "sid-" + conn_id, user_id),
                        max_total=max_total, max_per_user=max_per_user)


async def test_a_user_is_online_while_any_of_their_tabs_is(workers):
    one, two = workers
    await connect(one, "tab-a1", 1)
    await connect(two, "tab-a2", 1)
    await connect(two, "tab-b1", 2)
    assert await one.online_user_ids() == {1, 2}
    assert await one.disconnect("tab-a1", "sid-tab-a1")
    assert await two.online_user_ids() == {1, 2}
    assert await one.disconnect("tab-a2", "sid-tab-a2")
    assert await two.online_user_ids() == {2}


async def test_the_late_disconnect_of_an_old_socket_keeps_the_tab_online(workers):
    one, two = workers
    await connect(one, "tab", 1, "old-socket")
    await connect(two, "tab", 1, "new-socket")  # the same tab reconnected through another worker
    assert not await one.disconnect("tab", "old-socket")
    assert await two.online_user_ids() == {1}
    assert await two.disconnect("tab", "new-socket")
    assert await one.online_user_ids() == frozenset()


async def test_a_fourth_tab_is_refused_but_a_reconnecting_tab_is_not(workers):
    one, two = workers
    for n, store in enumerate((one, two, one)):
        await connect(store, f"tab-{n}", 1)
    with pytest.raises(OverCapacity, match="You already have 3 tabs open"):
        await connect(two, "tab-3", 1)
    await connect(two, "tab-0", 1, "a-new-socket")  # reconnects are not new tabs
    await connect(one, "someone-else", 2)
    assert await one.online_user_ids() == {1, 2}


async def test_the_total_cap_holds_when_workers_admit_at_once(workers):
    one, two = workers
    attempts = [connect(store, f"tab-{n}", n, max_total=10)
                for n in range(40) for store in [(one, two)[n % 2]]]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    refused = [r for r in results if isinstance(r, OverCapacity)]
    assert len(refused) == 30
    assert all("The server is full (10 connections)" in str(r) for r in refused)
    assert len(await one.online_user_ids()) == 10


async def test_connections_nobody_refreshes_expire(workers):
    one, two = workers
    await connect(one, "kept", 1)
    await connect(one, "dead-worker's", 2)
    for _ in range(4):
        await asyncio.sleep(0.2)
        await two.refresh([Connection("kept", "sid-kept", 1)])
    assert await two.online_user_ids() == {1}
    await connect(two, "new", 3, max_total=2)  # the expired one no longer counts


def event(kind: str, identity: str = "", name: str = "", sid: str = "", *,
          screen: bool = False) -> CallEvent:
    return CallEvent(kind=kind, room_name=ROOM, identity=identity, participant_name=name,
                     participant_sid=sid, screen_share=screen)


async def test_webhooks_decide_who_is_in_a_call(workers):
    one, two = workers
    assert await presence.apply_call_event(one, event("participant_joined", "1", "Ann", "PA1"))
    await presence.apply_call_event(two, event("participant_joined", "2", "Ben", "PB1"))
    await presence.apply_call_event(one, event("track_published", "2", sid="PB1", screen=True))
    await presence.apply_call_event(one, event("track_published", "1", sid="PA1"))  # a mic
    assert sorted(await two.members())[0] == ROOM
    assert {m.identity: (m.name, m.screen) for m in (await two.members())[ROOM]} == {
        "1": ("Ann", False), "2": ("Ben", True)}

    await presence.apply_call_event(two, event("track_unpublished", "2", sid="PB1", screen=True))
    assert not [m for m in (await one.members())[ROOM] if m.screen]
    await presence.apply_call_event(two, event("participant_left", "1", sid="PA1"))
    assert [m.identity for m in (await one.members())[ROOM]] == ["2"]
    await presence.apply_call_event(one, event("room_finished"))
    assert await two.members() == {}


async def test_a_late_left_for_an_older_session_does_not_remove_the_newer_one(workers):
    one, two = workers
    await presence.apply_call_event(one, event("participant_joined", "1", "Ann", "OLD"))
    await presence.apply_call_event(one, event("participant_joined", "1", "Ann", "NEW"))
    assert not await presence.apply_call_event(two, event("participant_left", "1", sid="OLD"))
    assert [m.participant_sid for m in (await two.members())[ROOM]] == ["NEW"]


async def test_the_browsers_hint_shows_at_once_and_webhooks_take_over(workers):
    one, two = workers
    await one.change_member(ROOM, "1", lambda cur: presence.hinted_join(cur, "1", "Ann"))
    assert (await two.members())[ROOM] == [Member("1", "Ann")]
    # a late "left" from this identity's previous call must not remove the fresh hint
    await presence.apply_call_event(two, event("participant_left", "1", sid="EARLIER"))
    assert (await one.members())[ROOM] == [Member("1", "Ann")]
    await presence.apply_call_event(two, event("participant_joined", "1", "Ann", "P1"))
    await presence.apply_call_event(two, event("participant_left", "1", sid="P1"))
    assert await one.members() == {}


async def test_reconcile_adopts_livekits_list_unless_a_webhook_won_the_race(workers):
    one, two = workers
    await presence.apply_call_event(one, event("participant_joined", "ghost", "Gone", "PG"))
    await presence.apply_call_event(one, event("participant_joined", "raced", "Rae", "PR1"))
    seen = await one.members()
    # between reading the store and LiveKit's answer, a webhook updates "raced"
    await presence.apply_call_event(two, event("participant_joined", "raced", "Rae", "PR2"))
    listed = {ROOM: [Member("raced", "Rae", "PR1"), Member("missed", "Mo", "PM", screen=True)],
              "room-8": [Member("9", "Nine", "P9")]}
    assert await presence.reconcile(two, seen, listed)
    after = {room: {m.identity: m for m in members} for room, members in
             (await one.members()).items()}
    assert set(after[ROOM]) == {"raced", "missed"}
    assert after[ROOM]["raced"].participant_sid == "PR2"
    assert after[ROOM]["missed"].screen
    assert set(after["room-8"]) == {"9"}


async def test_a_change_published_by_one_worker_reaches_the_other(workers):
    one, two = workers
    changes = two.changes()
    waiting = asyncio.ensure_future(anext(changes))
    await asyncio.sleep(0.2)  # let the subscriber start listening
    await one.publish({presence.MEMBERS, "not-a-topic"})
    assert await asyncio.wait_for(waiting, 5) == {presence.MEMBERS}
    await changes.aclose()


async def test_refresh_rebuilds_connections_after_redis_loses_them(redis_url):
    store = RedisPresenceStore(redis_url)
    try:
        await connect(store, "tab", 5)
        client = redis.Redis.from_url(redis_url)
        client.flushall()  # as a Redis restarted without persistence
        client.close()
        assert await store.online_user_ids() == frozenset()
        await store.refresh([Connection("tab", "sid-tab", 5)])
        assert await store.online_user_ids() == {5}
        assert not await store.disconnect("tab", "another-socket")
        assert await store.disconnect("tab", "sid-tab")
    finally:
        await store.close()


def test_members_round_trip_through_json():
    member = Member("3", "Zo", "PZ", screen=True)
    assert Member.from_dict(dataclasses.asdict(member)) == member


def signed(kind: str, identity: str, event_id: str, created_at: int, sid: str = "",
           name: str = "") -> CallEvent:
    return CallEvent(kind=kind, room_name=ROOM, identity=identity, participant_name=name,
                     participant_sid=sid, event_id=event_id, created_at=created_at)


async def test_a_replayed_webhook_does_not_bring_back_a_ghost(workers):
    """A captured, validly signed participant_joined sent again, to the same worker or
    another, after the participant left: nobody sees them in the call."""
    one, two = workers
    now = int(time.time())
    joined = signed("participant_joined", "1", "EV_join", now - 5, "PA1", "Ann")
    assert await presence.apply_call_event(one, joined)
    assert await presence.apply_call_event(two, signed("participant_left", "1", "EV_left",
                                                       now - 2, "PA1"))
    assert not await presence.apply_call_event(one, joined)
    assert not await presence.apply_call_event(two, joined)
    # the same old event under a new id (or none) is still older than what was applied
    assert not await presence.apply_call_event(two, dataclasses.replace(joined, event_id="EV_x"))
    assert await one.members() == {} and await two.members() == {}
    # a real later join still counts
    assert await presence.apply_call_event(two, signed("participant_joined", "1", "EV_again",
                                                       now, "PA2", "Ann"))
    assert [m.participant_sid for m in (await one.members())[ROOM]] == ["PA2"]


async def test_a_replayed_room_end_does_not_empty_a_live_call(workers):
    one, two = workers
    now = int(time.time())
    finished = signed("room_finished", "", "EV_end", now - 10)
    assert not await presence.apply_call_event(one, finished)  # nobody there: no change
    assert await presence.apply_call_event(two, signed("participant_joined", "2", "EV_j2",
                                                       now - 1, "PB1", "Ben"))
    assert not await presence.apply_call_event(two, dataclasses.replace(finished, event_id="EV_n"))
    assert not await presence.apply_call_event(one, finished)
    assert [m.identity for m in (await one.members())[ROOM]] == ["2"]
    # and a join from before the room ended stays ended
    assert await presence.apply_call_event(one, signed("room_finished", "", "EV_end2", now))
    assert not await presence.apply_call_event(two, signed("participant_joined", "3", "EV_j3",
                                                           now - 3, "PC1", "Cy"))
    assert await two.members() == {}


async def test_a_stale_webhook_is_dropped(workers):
    one, _two = workers
    old = int(time.time()) - presence.STALE_EVENT_SECONDS - 60
    assert not await presence.apply_call_event(one, signed("participant_joined", "4", "EV_old",
                                                           old, "PD1", "Di"))
    assert await one.members() == {}


async def test_seen_event_ids_are_shared_by_the_workers_and_expire(workers):
    one, two = workers
    now = int(time.time())
    assert await one.admit_event("EV_once", ROOM, "5", now, room_finished=False)
    assert not await two.admit_event("EV_once", ROOM, "5", now, room_finished=False)
    assert not await one.admit_event("EV_once", ROOM, "5", now, room_finished=False)
    if isinstance(one, RedisPresenceStore):
        ttl = await one._redis.ttl("dtk:presence:event:EV_once")
        assert 0 < ttl <= presence.SEEN_EVENT_SECONDS
        assert 0 < await one._redis.ttl(f"dtk:presence:ledger:{ROOM}") <= \
            presence.SEEN_EVENT_SECONDS


async def test_live_fields_are_shared_and_counted_without_lost_updates(workers):
    one, two = workers
    key = f"waves.count{secrets.token_hex(2)}"
    await one.set_live("board.title", '"Open mic"')
    # every worker adds at once; each add lands exactly once
    totals = await asyncio.gather(*(store.add_live(key, 1) for store in (one, two) * 10))
    assert sorted(totals) == list(range(1, 21))
    values = await two.live_values()
    assert values["board.title"] == '"Open mic"'
    assert json.loads(values[key]) == 20


async def test_a_live_topic_travels_and_a_malformed_one_is_dropped(workers):
    one, two = workers
    changes = two.changes()
    waiting = asyncio.ensure_future(anext(changes))
    await asyncio.sleep(0.2)  # let the subscriber start listening
    await one.publish({"live:waves.count", "live:../x", "live:Waves.count"})
    assert await asyncio.wait_for(waiting, 5) == {"live:waves.count"}
    await changes.aclose()
