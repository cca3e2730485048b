"""Rooms on SQLite and PostgreSQL: create (at most MAX_ROOMS_PER_USER each), list, delete by
owner, remember the last room."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session, select

from distokoloshe import rooms
from distokoloshe.models import Room, User
from distokoloshe.settings import get_settings
from distokoloshe.validation import InvalidInput


def make_user(session: Session, username: str, display_name: str | None = None) -> User:
    # Rooms do not care about passwords; skip the quarter-second bcrypt of accounts.register.
    user = User(username=username, username_key=username.casefold(),
                display_name=display_name or username, password_hash="unused")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def alice(db_session) -> User:
    return make_user(db_session, "alice", "Alice A")


@pytest.fixture
def bob(db_session) -> User:
    return make_user(db_session, "bob", "Bob B")


def test_create_room_trims_and_collapses_the_name(db_session, alice):
    room = rooms.create_room(session=db_session, user=alice, name="  Movie \t  night  ")
    assert room.id is not None
    assert room.name == "Movie night"
    assert room.owner_id == alice.id


def test_room_name_taken_ignoring_case(db_session, alice, bob):
    rooms.create_room(session=db_session, user=alice, name="Lobby")
    for name in ("lobby", "LOBBY", "  lObBy  "):
        with pytest.raises(rooms.RoomNameTaken, match="already exists"):
            rooms.create_room(session=db_session, user=bob, name=name)
    assert len(db_session.exec(select(Room)).all()) == 1


def test_create_room_refuses_invalid_names(db_session, alice):
    for name in ("", "   ", None, "x" * 49, "\u202eevil", 42, ["Lobby"]):
        with pytest.raises(InvalidInput):
            rooms.create_room(session=db_session, user=alice, name=name)
    assert db_session.exec(select(Room)).all() == []


def test_longest_names_fit_the_database(db_session, alice):
    # 48 characters, including names whose case-insensitive key is as long as allowed.
    for name in ("r" * 48, "\U0001f3b5" * 48, "\u00df" * 24, "Stra\u00dfe " + "x" * 40):
        room = rooms.create_room(session=db_session, user=alice, name=name)
        assert room.name == name
    db_session.commit()


def test_name_whose_key_is_too_long_is_refused_cleanly(db_session, alice):
    with pytest.raises(InvalidInput):
        rooms.create_room(session=db_session, user=alice, name="\u00df" * 25)
    # The session is still usable afterwards.
    assert rooms.create_room(session=db_session, user=alice, name="after").name == "after"


def test_list_rooms_shows_owner_display_names_sorted_by_name(db_session, alice, bob):
    rooms.create_room(session=db_session, user=bob, name="zebra")
    rooms.create_room(session=db_session, user=alice, name="Apple")
    rooms.create_room(session=db_session, user=bob, name="mango")
    listed = rooms.list_rooms(session=db_session)
    assert [(r.name, r.owner_id, r.owner_name) for r in listed] == [
        ("Apple", alice.id, "Alice A"),
        ("mango", bob.id, "Bob B"),
        ("zebra", bob.id, "Bob B"),
    ]


def test_list_rooms_is_empty_at_first(db_session):
    assert rooms.list_rooms(session=db_session) == []


def test_non_owner_cannot_delete_and_the_room_stays(db_session, engine, alice, bob):
    room = rooms.create_room(session=db_session, user=alice, name="Alice's room")
    db_session.commit()
    with pytest.raises(rooms.NotRoomOwner):
        rooms.delete_room(session=db_session, user=bob, room_id=room.id)
    db_session.commit()
    with Session(engine) as other:
        assert other.get(Room, room.id) is not None
    assert [r.name for r in rooms.list_rooms(session=db_session)] == ["Alice's room"]


def test_owner_deletes_the_room(db_session, engine, alice):
    room = rooms.create_room(session=db_session, user=alice, name="Temporary")
    room_id = room.id
    rooms.delete_room(session=db_session, user=alice, room_id=room_id)
    db_session.commit()
    with Session(engine) as other:
        assert other.get(Room, room_id) is None
    with pytest.raises(rooms.RoomNotFound):
        rooms.get_room(session=db_session, room_id=room_id)
    assert rooms.list_rooms(session=db_session) == []


def test_deleted_room_name_can_be_used_again(db_session, alice, bob):
    room = rooms.create_room(session=db_session, user=alice, name="Reuse")
    rooms.delete_room(session=db_session, user=alice, room_id=room.id)
    assert rooms.create_room(session=db_session, user=bob, name="REUSE").owner_id == bob.id


def test_deleting_a_missing_room_is_room_not_found(db_session, alice):
    with pytest.raises(rooms.RoomNotFound):
        rooms.delete_room(session=db_session, user=alice, room_id=424242)


def test_remember_room_and_last_room(db_session, engine, alice):
    assert rooms.last_room(session=db_session, user=alice) is None
    first = rooms.create_room(session=db_session, user=alice, name="First")
    second = rooms.create_room(session=db_session, user=alice, name="Second")
    rooms.remember_room(session=db_session, user=alice, room_id=first.id)
    assert rooms.last_room(session=db_session, user=alice).id == first.id
    rooms.remember_room(session=db_session, user=alice, room_id=second.id)
    db_session.commit()
    with Session(engine) as other:
        again = other.get(User, alice.id)
        assert rooms.last_room(session=other, user=again).name == "Second"


def test_last_room_is_forgotten_when_the_room_is_deleted(db_session, engine, alice, bob):
    room = rooms.create_room(session=db_session, user=alice, name="Gone soon")
    rooms.remember_room(session=db_session, user=alice, room_id=room.id)
    rooms.remember_room(session=db_session, user=bob, room_id=room.id)
    db_session.commit()
    rooms.delete_room(session=db_session, user=alice, room_id=room.id)
    db_session.commit()
    # The database itself cleared the reference (ON DELETE SET NULL), for every user.
    with Session(engine) as other:
        for user_id in (alice.id, bob.id):
            stored = other.get(User, user_id)
            assert stored.last_room_id is None
            assert rooms.last_room(session=other, user=stored) is None
    db_session.refresh(bob)
    assert bob.last_room_id is None
    assert rooms.last_room(session=db_session, user=alice) is None


def test_deleting_a_remembered_room_leaves_the_users(db_session, engine, alice, bob):
    room = rooms.create_room(session=db_session, user=alice, name="Shared")
    rooms.remember_room(session=db_session, user=bob, room_id=room.id)
    rooms.delete_room(session=db_session, user=alice, room_id=room.id)
    db_session.commit()
    with Session(engine) as other:
        assert {u.username for u in other.exec(select(User)).all()} == {"alice", "bob"}


@pytest.mark.parametrize(
    "room_id",
    ["1", "", None, True, False, 1.0, 1.5, float("nan"), [1], {"id": 1}, b"1",
     0, -1, 2**31, 2**63, 10**30, -(2**63) - 1],
    ids=repr,
)
def test_room_id_of_the_wrong_type_or_range_is_room_not_found(db_session, alice, room_id):
    room = rooms.create_room(session=db_session, user=alice, name="Real")
    assert room.id == 1  # so "1", True and 1.0 would find it if they were let through
    for call in (rooms.get_room, rooms.remember_room, rooms.delete_room):
        kwargs = {} if call is rooms.get_room else {"user": alice}
        with pytest.raises(rooms.RoomNotFound):
            call(session=db_session, room_id=room_id, **kwargs)
    # Nothing changed, and the session still works.
    assert rooms.last_room(session=db_session, user=alice) is None
    assert [r.name for r in rooms.list_rooms(session=db_session)] == ["Real"]


# --- how many rooms one person may own (MAX_ROOMS_PER_USER) ---

def _cap(monkeypatch, cap: int) -> None:
    monkeypatch.setenv("MAX_ROOMS_PER_USER", str(cap))
    get_settings.cache_clear()


def test_twenty_rooms_per_person_by_default_then_a_clear_refusal(db_session, alice, bob):
    assert get_settings().max_rooms_per_user == 20
    for n in range(20):
        rooms.create_room(session=db_session, user=alice, name=f"Alice {n}")
    with pytest.raises(rooms.TooManyRooms, match=r"already have 20 rooms.*Delete one"):
        rooms.create_room(session=db_session, user=alice, name="Alice 20")
    # Others are not affected, and the refusal left the session usable.
    assert rooms.create_room(session=db_session, user=bob, name="Bob 0").owner_id == bob.id
    assert rooms.rooms_owned(session=db_session, user=alice) == 20
    db_session.commit()


def test_deleting_a_room_frees_a_place(db_session, monkeypatch, alice):
    _cap(monkeypatch, 2)
    first = rooms.create_room(session=db_session, user=alice, name="One")
    rooms.create_room(session=db_session, user=alice, name="Two")
    with pytest.raises(rooms.TooManyRooms):
        rooms.create_room(session=db_session, user=alice, name="Three")
    rooms.delete_room(session=db_session, user=alice, room_id=first.id)
    assert rooms.create_room(session=db_session, user=alice, name="Three").name == "Three"


def test_the_cap_counts_what_is_in_the_database(db_session, engine, monkeypatch, alice):
    """Rooms that came from elsewhere (another worker, a restored backup) count too."""
    _cap(monkeypatch, 3)
    for n in range(3):
        db_session.add(Room(name=f"Restored {n}", name_key=f"restored {n}", owner_id=alice.id))
    db_session.commit()
    with Session(engine) as other:
        owner = other.get(User, alice.id)
        with pytest.raises(rooms.TooManyRooms, match="already have 3 rooms"):
            rooms.create_room(session=other, user=owner, name="One more")


def test_concurrent_creations_by_one_person_never_pass_the_cap(engine, monkeypatch):
    """Eight transactions at once, each counting and creating: the count and the insert are
    one step per user, so at most the cap is created (on SQLite and on PostgreSQL)."""
    _cap(monkeypatch, 3)
    with Session(engine, expire_on_commit=False) as session:
        owner = make_user(session, "racer")
        session.commit()
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def create(n: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            user = session.get(User, owner.id)
            start.wait()
            try:
                rooms.create_room(session=session, user=user, name=f"Race {n}")
                # Stay in the transaction a moment, as the app does while it mints the
                # call's token: a counter that does not lock would let others in now.
                time.sleep(0.05)
                session.commit()
                outcomes.append("created")
            except rooms.TooManyRooms:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with Session(engine) as session:
        owned = rooms.rooms_owned(session=session, user=session.get(User, owner.id))
    assert sorted(outcomes) == ["created"] * 3 + ["refused"] * 5
    assert owned == 3
