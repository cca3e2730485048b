"""Owners remove people from a call: they stay out, and the room's key epoch advances."""

from __future__ import annotations

import pytest

from distokoloshe import rooms


def test_removal_bars_rejoining_and_advances_the_key_epoch(db_session, make_user):
    owner, guest = make_user("owner"), make_user("guest")
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    assert rooms.admit(session=db_session, user=guest, room_id=room.id).key_epoch == 0

    rooms.remove_from_call(session=db_session, user=owner, room_id=room.id,
                           member_id=str(guest.id))
    db_session.commit()
    with pytest.raises(rooms.RemovedFromRoom):
        rooms.admit(session=db_session, user=guest, room_id=room.id)
    assert rooms.admit(session=db_session, user=owner, room_id=room.id).key_epoch == 1

    rooms.remove_from_call(session=db_session, user=owner, room_id=room.id, member_id=guest.id)
    assert rooms.get_room(session=db_session, room_id=room.id).key_epoch == 2  # idempotent bar


@pytest.mark.parametrize("member", ["self", "999999", -1, 10**30, None, True, "x"])
def test_owner_cannot_remove_themselves_or_nobody(db_session, make_user, member):
    owner = make_user("owner")
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    member_id = owner.id if member == "self" else member
    with pytest.raises(rooms.RoomNotFound):
        rooms.remove_from_call(session=db_session, user=owner, room_id=room.id,
                               member_id=member_id)
    assert rooms.get_room(session=db_session, room_id=room.id).key_epoch == 0


def test_only_the_owner_can_remove(db_session, make_user):
    owner, guest, other = (make_user(n) for n in ("owner", "guest", "other"))
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    with pytest.raises(rooms.NotRoomOwner):
        rooms.remove_from_call(session=db_session, user=guest, room_id=room.id,
                               member_id=other.id)
    assert rooms.admit(session=db_session, user=other, room_id=room.id).key_epoch == 0


def test_each_room_gets_its_own_key_salt(db_session, make_user):
    owner = make_user("owner")
    first = rooms.create_room(session=db_session, user=owner, name="One")
    second = rooms.create_room(session=db_session, user=owner, name="Two")
    assert first.key_salt and second.key_salt and first.key_salt != second.key_salt
