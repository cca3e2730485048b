"""Call admission: selecting a room remembers it, admits the user and hands out a token
scoped to that room with the room's current key, in one transaction."""

from __future__ import annotations

import jwt
import pytest

from distokoloshe import calls, e2ee, rooms
from distokoloshe.livekit_tokens import livekit_room_name
from distokoloshe.settings import get_settings


def _grants(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_entering_a_room_remembers_it_and_admits_with_a_scoped_token(db_session, make_user):
    owner, guest = make_user("owner"), make_user("guest")
    room = rooms.create_room(session=db_session, user=owner, name="Den")

    entry = calls.enter_room(session=db_session, user=guest, room_id=room.id)

    assert guest.last_room_id == room.id
    assert (entry.room.name, entry.room.owner_name, entry.mine) == ("Den", "owner", False)
    assert entry.refusal == "" and entry.call is not None
    assert entry.call.room_id == room.id and not entry.call.owner
    assert entry.call.e2ee_key == e2ee.current_room_key(room)
    claims = _grants(entry.call.token)
    assert claims["sub"] == str(guest.id)
    assert claims["video"]["room"] == livekit_room_name(room.id)
    assert calls.enter_last_room(session=db_session, user=guest).room.id == room.id


def test_a_removed_user_sees_the_room_but_gets_no_token_or_key(db_session, make_user):
    owner, guest = make_user("owner"), make_user("guest")
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    calls.remove_member(session=db_session, user=owner, room_id=room.id, member_id=guest.id)

    entry = calls.enter_room(session=db_session, user=guest, room_id=room.id)

    assert entry.call is None
    assert entry.refusal == "The owner removed you from this room's call."
    with pytest.raises(rooms.RemovedFromRoom):
        calls.rekey(session=db_session, user=guest, room_id=room.id)


def test_removing_someone_gives_the_owner_the_next_key(db_session, make_user):
    owner, guest = make_user("owner"), make_user("guest")
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    before = calls.admit(session=db_session, user=owner, room_id=room.id)

    after = calls.remove_member(session=db_session, user=owner, room_id=room.id,
                                member_id=str(guest.id))

    assert after.owner and after.token == ""
    assert after.key_epoch == before.key_epoch + 1
    assert after.e2ee_key != before.e2ee_key
    assert after.e2ee_key_index == e2ee.key_index(after.key_epoch)


def test_creating_a_room_enters_it(db_session, make_user):
    owner = make_user("owner")

    entry = calls.create_and_enter(session=db_session, user=owner, name="  Den ",
                                   encryption_required=False)

    assert entry.mine and entry.room.name == "Den" and owner.last_room_id == entry.room.id
    assert entry.call.owner and not entry.call.encryption_required


def test_no_last_room_enters_nothing(db_session, make_user):
    assert calls.enter_last_room(session=db_session, user=make_user("new")) is None


@pytest.mark.parametrize("room_id", [None, "1", 0, -1, 2**64, True, [1]])
def test_entering_a_room_that_is_not_there_is_room_not_found(db_session, make_user, room_id):
    user = make_user("someone")
    with pytest.raises(rooms.RoomNotFound):
        calls.enter_room(session=db_session, user=user, room_id=room_id)
    assert user.last_room_id is None


def _in_call(room, user, version=None) -> calls.Participant:
    return calls.Participant(livekit_room_name(room.id), str(user.id),
                             str(user.token_version if version is None else version))


def test_only_those_still_admitted_may_stay_in_a_call(db_session, make_user):
    owner, guest, removed, signed_out = (make_user(n) for n in
                                         ("owner", "guest", "removed", "signedout"))
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    gone = rooms.create_room(session=db_session, user=owner, name="Gone")
    calls.remove_member(session=db_session, user=owner, room_id=room.id, member_id=removed.id)
    stale = _in_call(room, signed_out)
    calls.sign_out_everywhere(session=db_session, user=signed_out, livekit_rooms=[])
    in_gone = _in_call(gone, guest)
    rooms.delete_room(session=db_session, user=owner, room_id=gone.id)
    db_session.flush()

    staying = [_in_call(room, owner), _in_call(room, guest),
               # identities that name no user, and rooms that are not ours, are not ours to judge
               calls.Participant(livekit_room_name(room.id), "recorder-bot", ""),
               calls.Participant("someone-elses-room", str(removed.id), "")]
    leaving = [_in_call(room, removed), stale, in_gone,
               _in_call(room, guest, version=""),            # a token from before versions
               calls.Participant(livekit_room_name(room.id), "999999", "0")]  # no such user

    assert calls.outsiders(session=db_session, participants=staying + leaving) == leaving


def test_signing_out_everywhere_moves_the_key_of_every_call_the_user_is_in(db_session,
                                                                         make_user):
    owner, user = make_user("owner"), make_user("user")
    den = rooms.create_room(session=db_session, user=owner, name="Den")
    attic = rooms.create_room(session=db_session, user=owner, name="Attic")
    version = user.token_version

    moved = calls.sign_out_everywhere(
        session=db_session, user=user,
        livekit_rooms=[livekit_room_name(den.id), "not-ours", livekit_room_name(10**6)])

    assert moved == [(den.id, 1)]
    assert user.token_version == version + 1
    assert rooms.get_room(session=db_session, room_id=attic.id).key_epoch == 0


def test_creating_rooms_is_rate_limited_per_person(db_session, make_user, monkeypatch):
    """ROOM_CREATE_RATE_LIMIT (10 a minute) counts every attempt of one account; nothing is
    created once it refuses, and other people are not affected."""
    owner, other = make_user("owner"), make_user("other")
    for n in range(10):
        calls.create_and_enter(session=db_session, user=owner, name=f"Den {n}")
    for name in ("Den 10", "Den 0", ""):  # new, taken, invalid: all refused alike now
        with pytest.raises(calls.CreatingTooFast, match=r"creating rooms too fast\. "
                                                        r"Try again in (\d+ seconds|1 minute)\."):
            calls.create_and_enter(session=db_session, user=owner, name=name)
    assert rooms.rooms_owned(session=db_session, user=owner) == 10
    assert calls.create_and_enter(session=db_session, user=other, name="Elsewhere").mine


def test_the_room_creation_limit_is_a_setting(db_session, make_user, monkeypatch):
    monkeypatch.setenv("ROOM_CREATE_RATE_LIMIT", "2/hour")
    get_settings.cache_clear()
    owner = make_user("owner")
    calls.create_and_enter(session=db_session, user=owner, name="One")
    calls.create_and_enter(session=db_session, user=owner, name="Two")
    with pytest.raises(calls.CreatingTooFast, match="Try again in 60 minutes"):
        calls.create_and_enter(session=db_session, user=owner, name="Three")
