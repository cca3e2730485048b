"""The room list sends what changed: a join in one room sends that room's call, not every
room's, and what a tab puts together from the base and the patch is always the truth."""

from __future__ import annotations

import json
import random

from distokoloshe.realtime.room_feed import BASE, PATCH, PATCH_ROOMS, ROOMS, RoomFeed

NOBODY = frozenset()


def _calls(n: int, people: int = 5) -> dict[int, str]:
    return {room: json.dumps([f"person {room}-{p}" for p in range(people)])
            for room in range(1, n + 1)}


def _apply(tab: dict, sent: dict[str, str]) -> None:
    """What the browser does: every var in the frame replaces the tab's copy."""
    tab.update({name: json.loads(text) for name, text in sent.items()})


def _members_seen(tab: dict) -> dict[int, list]:
    """What the lobby shows: the patch's entry wins over the base's (state/presence.py)."""
    return {int(room): tab[PATCH].get(room, members) for room, members in tab[BASE].items()}


def test_a_join_in_one_of_fifty_rooms_sends_that_room_only():
    feed, rooms = RoomFeed(), json.dumps(list(range(50)))
    calls = _calls(50)
    feed.update(NOBODY, rooms, calls)
    whole = feed.whole(NOBODY)

    calls[7] = json.dumps(["someone new"])
    sent = feed.update(NOBODY, rooms, calls)

    assert set(sent) == {PATCH}
    assert json.loads(sent[PATCH]) == {"7": ["someone new"]}
    assert len(sent[PATCH]) * 20 < len(whole[BASE])


def test_nothing_changed_sends_nothing():
    feed, rooms, calls = RoomFeed(), "[0]", _calls(2)
    feed.update(NOBODY, rooms, calls)
    assert feed.update(NOBODY, rooms, dict(calls)) == {}


def test_new_rooms_send_the_list_and_a_fresh_base():
    feed, calls = RoomFeed(), _calls(2)
    feed.update(NOBODY, "[1,2]", calls)
    calls[3] = "[]"
    sent = feed.update(NOBODY, "[1,2,3]", calls)
    assert set(sent) == {ROOMS, BASE, PATCH}
    assert json.loads(sent[PATCH]) == {}


def test_the_patch_is_rebased_before_it_grows_past_its_limit():
    feed, rooms, calls = RoomFeed(), "[0]", _calls(3 * PATCH_ROOMS)
    feed.update(NOBODY, rooms, calls)
    for room in range(1, PATCH_ROOMS + 1):
        calls[room] = json.dumps([f"moved {room}"])
        assert set(feed.update(NOBODY, rooms, calls)) == {PATCH}
    calls[PATCH_ROOMS + 1] = "[]"
    sent = feed.update(NOBODY, rooms, calls)
    assert set(sent) == {BASE, PATCH} and json.loads(sent[PATCH]) == {}


def test_a_tab_following_the_feed_always_shows_the_truth():
    """Random joins and leaves, an emptied call among them: a tab that applied every frame,
    and a tab that joined halfway through with the whole copy, both show what is true."""
    rng = random.Random(4)
    feed, rooms, calls = RoomFeed(), "[0]", _calls(20, people=2)
    feed.update(NOBODY, rooms, calls)
    early, late = {}, None
    _apply(early, feed.whole(NOBODY))
    for step in range(400):
        room = rng.randint(1, 20)
        calls[room] = "[]" if rng.random() < 0.3 else json.dumps([f"p{step}"])
        sent = feed.update(NOBODY, rooms, calls)
        _apply(early, sent)
        if late is not None:
            _apply(late, sent)
        if step == 200:
            late = {}
            _apply(late, feed.whole(NOBODY))
        truth = {room: json.loads(text) for room, text in calls.items()}
        assert _members_seen(early) == truth
        assert _members_seen(late or early) == truth


def test_each_audience_keeps_its_own_feed():
    feed = RoomFeed()
    feed.update(NOBODY, "[1]", {1: "[]"})
    feed.update(frozenset({2}), "[1,2]", {1: "[]", 2: '["in private"]'})
    sent = feed.update(frozenset({2}), "[1,2]", {1: "[]", 2: "[]"})
    assert json.loads(sent[PATCH]) == {"2": []}
    assert feed.update(NOBODY, "[1]", {1: "[]"}) == {}
    assert "in private" not in json.dumps(feed.whole(NOBODY))
