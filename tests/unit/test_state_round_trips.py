"""A click on a room costs the backend one session check and one trip to a worker thread.

The real states run in-process against a migrated SQLite database: no browser is needed to
count what one event does on the backend.
"""

from __future__ import annotations

import asyncio

import pytest
from reflex.state import State
from sqlmodel import select

from distokoloshe import accounts, db, ratelimit, rooms
from distokoloshe.models import Room
from distokoloshe.settings import get_settings
from distokoloshe.state.call import CallState
from distokoloshe.state.lobby import LobbyState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState


@pytest.fixture
def signed_in_tab():
    """(root state of a tab signed in as a new user, a room of someone else's)."""
    db.migrate()
    with db.session_scope() as session:
        owner = accounts.register(session=session, username="owner", password="pw-for-tests-1",
                                  display_name="Owner")
        user = accounts.register(session=session, username="user", password="pw-for-tests-2",
                                 display_name="User")
        room = rooms.create_room(session=session, user=owner, name="Den")
        token = accounts.session_token_for(user)
    root = State(_reflex_internal_init=True)
    _substate(root, SessionState).session_token = token
    return root, room


def _substate(root: State, cls: type) -> State:
    return root.get_substate(cls.get_full_name().split(".")[1:])


@pytest.fixture
def count_trips(monkeypatch):
    """Counts session verifications and worker-thread hops from here on."""
    counts = {"verified": 0, "threads": 0}
    verify, to_thread = accounts.user_for_session_token, asyncio.to_thread

    def counting_verify(**kwargs):
        counts["verified"] += 1
        return verify(**kwargs)

    async def counting_to_thread(fn, /, *args, **kwargs):
        counts["threads"] += 1
        return await to_thread(fn, *args, **kwargs)

    monkeypatch.setattr(accounts, "user_for_session_token", counting_verify)
    monkeypatch.setattr(asyncio, "to_thread", counting_to_thread)
    return counts


async def test_selecting_a_room_verifies_the_session_once(signed_in_tab, count_trips):
    root, room = signed_in_tab
    rooms_state, call = _substate(root, RoomsState), _substate(root, CallState)

    steps = rooms_state.select_room(room.id)
    await anext(steps)  # the first delta carries the call alone, so the browser connects
    assert call.room_id == room.id and call.token and call.e2ee_key
    assert call.connection == "connecting"
    assert rooms_state.selected_room is None
    async for _ in steps:
        pass

    assert count_trips == {"verified": 1, "threads": 1}
    assert rooms_state.selected_room.name == "Den" and not rooms_state.selected_room.mine
    assert call.room_id == room.id and call.token and call.e2ee_key


async def test_creating_a_room_verifies_the_session_once(signed_in_tab, count_trips):
    root, _room = signed_in_tab
    rooms_state, call = _substate(root, RoomsState), _substate(root, CallState)

    await rooms_state.create_room({"room_name": "Attic"})

    assert count_trips == {"verified": 1, "threads": 1}
    assert rooms_state.create_error == ""
    assert rooms_state.selected_room.name == "Attic" and rooms_state.selected_room.mine
    assert call.room_id == rooms_state.selected_room.id and call.i_own_room


async def test_creating_rooms_too_fast_or_too_many_is_said_in_the_form(signed_in_tab,
                                                                        monkeypatch):
    """The refusals of the rate limit and of the cap reach the create-room form's error."""
    root, _room = signed_in_tab
    rooms_state = _substate(root, RoomsState)
    for n in range(10):  # ROOM_CREATE_RATE_LIMIT: 10/minute
        await rooms_state.create_room({"room_name": f"Attic {n}"})
        assert rooms_state.create_error == ""
    selected = rooms_state.selected_room.id
    await rooms_state.create_room({"room_name": "Attic 10"})
    assert rooms_state.create_error.startswith("You are creating rooms too fast. Try again in")
    assert rooms_state.selected_room.id == selected  # still in the last room it made

    monkeypatch.setenv("MAX_ROOMS_PER_USER", "10")
    monkeypatch.setenv("ROOM_CREATE_RATE_LIMIT", "100/minute")
    get_settings.cache_clear()
    ratelimit._limiter.cache_clear()
    await rooms_state.create_room({"room_name": "Attic 11"})
    assert rooms_state.create_error.startswith("You already have 10 rooms")
    with db.session_scope() as session:
        assert len(session.exec(select(Room).where(Room.name.startswith("Attic"))).all()) == 10


async def test_opening_the_lobby_verifies_the_session_once(signed_in_tab, count_trips):
    """The lobby's load (who you are, your settings, the room you were last in) is one
    session check and one thread hop: a storm of reconnecting tabs pays that per tab."""
    root, room = signed_in_tab
    rooms_state, call = _substate(root, RoomsState), _substate(root, CallState)
    async for _ in rooms_state.select_room(room.id):  # remembered as the last room
        pass
    count_trips.update(verified=0, threads=0)

    await _substate(root, LobbyState).enter()

    assert count_trips == {"verified": 1, "threads": 1}
    session = _substate(root, SessionState)
    assert session.username == "user" and session._verified_user_id
    assert rooms_state.selected_room.name == "Den" and call.room_id == room.id
