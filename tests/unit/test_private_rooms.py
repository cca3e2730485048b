"""Private rooms: only the owner and the members see one, get its token or its key; the
owner chooses the members, admins and owners moderate, and a ban holds until lifted."""

from __future__ import annotations

import pytest

from distokoloshe import calls, livekit_tokens, rooms
from distokoloshe.realtime.views import room_views, visible_to


@pytest.fixture
def den(db_session, make_user):
    owner, member, stranger = make_user("owner"), make_user("member"), make_user("stranger")
    room = rooms.create_room(session=db_session, user=owner, name="Den")
    rooms.set_member(session=db_session, user=owner, room_id=room.id, member_id=member.id,
                     member=True)
    rooms.set_private(session=db_session, user=owner, room_id=room.id, private=True)
    return room, owner, member, stranger


def test_a_stranger_is_refused_a_private_room_as_if_it_did_not_exist(db_session, den):
    room, _owner, _member, stranger = den
    for action in (calls.enter_room, calls.admit, calls.rekey):
        with pytest.raises(rooms.RoomNotFound, match="does not exist"):
            action(session=db_session, user=stranger, room_id=room.id)
    with pytest.raises(rooms.RoomNotFound, match="does not exist"):
        rooms.visible_room(session=db_session, user=stranger, room_id=room.id)
    assert stranger.last_room_id is None


def test_the_owner_and_a_member_get_in(db_session, den):
    room, owner, member, _stranger = den
    for user in (owner, member):
        entry = calls.enter_room(session=db_session, user=user, room_id=room.id)
        assert entry.call is not None and entry.call.token and entry.call.e2ee_key
        assert entry.room.private is True


def test_taking_a_member_off_moves_the_key_on_and_shuts_them_out(db_session, den):
    room, owner, member, _stranger = den
    calls.enter_room(session=db_session, user=member, room_id=room.id)
    epoch = room.key_epoch
    rooms.set_member(session=db_session, user=owner, room_id=room.id, member_id=str(member.id),
                     member=False)
    assert room.key_epoch == epoch + 1
    with pytest.raises(rooms.RoomNotFound):
        calls.rekey(session=db_session, user=member, room_id=room.id)
    assert rooms.last_room(session=db_session, user=member) is None  # no auto-join either


def test_making_a_room_private_moves_the_key_on_and_puts_outsiders_out(db_session, den,
                                                                        make_user):
    room, owner, member, stranger = den
    assert room.key_epoch == 1  # the fixture closed it once
    in_call = [calls.Participant(livekit_tokens.livekit_room_name(room.id),
                                 livekit_tokens.participant_identity(user.id), "0")
               for user in (owner, member, stranger)]
    out = calls.outsiders(session=db_session, participants=in_call)
    assert [p.identity for p in out] == [livekit_tokens.participant_identity(stranger.id)]
    rooms.set_private(session=db_session, user=owner, room_id=room.id, private=False)
    assert calls.outsiders(session=db_session, participants=in_call) == []
    assert room.key_epoch == 1  # opening it needs no new key


@pytest.mark.parametrize("target", ["self", "999999", -1, 10**30, None, True, "x"])
def test_members_are_real_other_people(db_session, den, target):
    room, owner, _member, _stranger = den
    with pytest.raises(rooms.RoomNotFound):
        rooms.set_member(session=db_session, user=owner, room_id=room.id,
                         member_id=owner.id if target == "self" else target, member=True)


def test_only_the_owner_chooses_members_or_privacy(db_session, den):
    room, _owner, member, stranger = den
    for user in (member, stranger):
        with pytest.raises(rooms.NotRoomOwner):
            rooms.set_member(session=db_session, user=user, room_id=room.id,
                             member_id=stranger.id, member=True)
        with pytest.raises(rooms.NotRoomOwner):
            rooms.set_private(session=db_session, user=user, room_id=room.id, private=False)
    assert room.private is True


def test_the_room_list_hides_private_rooms_from_everyone_outside(db_session, den, make_user):
    room, owner, member, stranger = den
    rooms.create_room(session=db_session, user=stranger, name="Open")
    audiences = rooms.private_audiences(session=db_session)
    assert audiences == {room.id: frozenset({owner.id, member.id})}
    views = room_views(rooms.list_rooms(session=db_session))
    assert [v["name"] for v in visible_to(views, frozenset())] == ["Open"]
    assert [v["name"] for v in visible_to(views, audiences[room.id])] == ["Den", "Open"]


def test_an_admin_moderates_any_room_they_see_and_a_ban_holds_until_lifted(db_session,
                                                                            make_user):
    owner, admin, guest = make_user("owner"), make_user("admin"), make_user("guest")
    admin.is_admin = True
    room = rooms.create_room(session=db_session, user=owner, name="Hall")
    with pytest.raises(rooms.NotRoomOwner):
        rooms.remove_from_call(session=db_session, user=guest, room_id=room.id,
                               member_id=admin.id)
    with pytest.raises(rooms.RoomNotFound):  # the owner stays, whoever asks
        rooms.remove_from_call(session=db_session, user=admin, room_id=room.id,
                               member_id=owner.id)
    rooms.remove_from_call(session=db_session, user=admin, room_id=room.id, member_id=guest.id)
    assert rooms.banned(session=db_session, room=room) == [(guest.id, "guest")]
    with pytest.raises(rooms.RemovedFromRoom):
        rooms.admit(session=db_session, user=guest, room_id=room.id)
    with pytest.raises(rooms.NotRoomOwner):
        rooms.lift_ban(session=db_session, user=guest, room_id=room.id, member_id=guest.id)
    rooms.lift_ban(session=db_session, user=owner, room_id=room.id, member_id=str(guest.id))
    assert rooms.admit(session=db_session, user=guest, room_id=room.id).id == room.id
