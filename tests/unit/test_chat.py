"""Each room's chat: who may read and write it, the history's pages, edits, deletes, read
markers and unread counts with mentions (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from distokoloshe import chat, rooms
from distokoloshe.models import ChatMessage, Room
from distokoloshe.presence import known_topics
from distokoloshe.realtime.chat_feed import parse


@pytest.fixture
def hall(db_session, make_user):
    owner, guest = make_user("owner"), make_user("guest")
    return rooms.create_room(session=db_session, user=owner, name="Hall"), owner, guest


@pytest.fixture(autouse=True)
def no_rate_limit(monkeypatch):
    monkeypatch.setattr(chat.ratelimit, "hit_chat", lambda user_id: None)


def say(db_session, user, room, body):
    return chat.post(session=db_session, user=user, room_id=room.id, body=body)


def test_a_message_is_trimmed_kept_and_shown_with_its_author(db_session, hall):
    room, owner, _guest = hall
    shown = say(db_session, owner, room, "  héllo 👋 wörld\n  ")
    assert (shown.body, shown.author_name, shown.initial) == ("héllo 👋 wörld", "owner", "O")
    assert shown.created_at.endswith("Z") and not shown.edited and not shown.continues
    page = chat.history(session=db_session, user=owner, room_id=room.id)
    assert [m.body for m in page.messages] == ["héllo 👋 wörld"] and page.more is False


@pytest.mark.parametrize(("body", "says"), [
    ("", "empty"), ("   \n\t", "empty"), ("x" * 2001, "2,001 characters"), (None, "text"),
    (["hi"], "text"), (42, "text")])
def test_bad_bodies_are_refused_with_a_clear_message(db_session, hall, body, says):
    room, owner, _guest = hall
    with pytest.raises(chat.ChatRefused, match=says):
        say(db_session, owner, room, body)
    assert db_session.exec(select(ChatMessage)).all() == []


def test_two_thousand_characters_are_allowed(db_session, hall):
    room, owner, _guest = hall
    assert len(say(db_session, owner, room, "é" * 2000).body) == 2000


def test_links_are_made_only_of_http_and_https(db_session, hall):
    room, owner, _guest = hall
    shown = say(db_session, owner, room,
                "see https://example.org/a?b=1, javascript:alert(1) <script>x</script> "
                "ftp://x http://y.test")
    links = [part["url"] for part in shown.parts if part["url"]]
    assert links == ["https://example.org/a?b=1", "http://y.test"]
    assert "".join(part["text"] for part in shown.parts) == shown.body


def test_consecutive_messages_of_one_author_are_grouped(db_session, hall):
    room, owner, guest = hall
    shown = [say(db_session, user, room, str(n))
             for n, user in enumerate((owner, owner, guest, owner))]
    assert [m.continues for m in shown] == [False, True, False, False]


def test_history_pages_back_to_the_first_message_fifty_at_a_time(db_session, hall):
    room, owner, guest = hall
    for n in range(120):
        say(db_session, owner, room, f"m{n}")
    page = chat.history(session=db_session, user=guest, room_id=room.id)
    assert [m.body for m in page.messages] == [f"m{n}" for n in range(70, 120)] and page.more
    page = chat.history(session=db_session, user=guest, room_id=room.id,
                        before_id=page.messages[0].id)
    assert page.messages[0].body == "m20" and page.more
    page = chat.history(session=db_session, user=guest, room_id=room.id,
                        before_id=page.messages[0].id)
    assert [m.body for m in page.messages] == [f"m{n}" for n in range(20)]
    assert page.more is False


@pytest.mark.parametrize("cursor", ["abc", -1, 10**30, True, {"x": 1}, 1.5])
def test_a_bad_cursor_is_refused(db_session, hall, cursor):
    room, owner, _guest = hall
    with pytest.raises(chat.ChatRefused):
        chat.history(session=db_session, user=owner, room_id=room.id, before_id=cursor)


def test_edit_own_only_and_it_says_edited(db_session, hall):
    room, owner, guest = hall
    shown = say(db_session, guest, room, "typo")
    with pytest.raises(chat.ChatRefused, match="your own"):
        chat.edit(session=db_session, user=owner, message_id=shown.id, body="owner's words")
    chat.edit(session=db_session, user=guest, message_id=shown.id, body=" fixed ")
    [again] = chat.history(session=db_session, user=owner, room_id=room.id).messages
    assert (again.body, again.edited) == ("fixed", True)


def test_delete_own_or_as_owner_and_deleted_text_is_never_read(db_session, hall, make_user):
    room, owner, guest = hall
    other = make_user("other")
    first, second = say(db_session, guest, room, "secret one"), say(db_session, guest, room,
                                                                    "secret two")
    with pytest.raises(chat.ChatRefused, match="author or the room's owner"):
        chat.delete(session=db_session, user=other, message_id=first.id)
    chat.delete(session=db_session, user=guest, message_id=first.id)
    chat.delete(session=db_session, user=owner, message_id=second.id)
    assert chat.history(session=db_session, user=guest, room_id=room.id).messages == []
    assert {m.body for m in db_session.exec(select(ChatMessage)).all()} == {""}
    with pytest.raises(chat.ChatRefused, match="does not exist"):
        chat.edit(session=db_session, user=guest, message_id=first.id, body="back")


def test_a_removed_person_can_neither_read_nor_post(db_session, hall):
    room, owner, guest = hall
    rooms.remove_from_call(session=db_session, user=owner, room_id=room.id, member_id=guest.id)
    for action in (lambda: chat.history(session=db_session, user=guest, room_id=room.id),
                   lambda: say(db_session, guest, room, "still here?")):
        with pytest.raises(chat.ChatRefused, match="removed you"):
            action()


def test_a_private_room_is_refused_to_a_stranger_as_missing(db_session, hall, make_user):
    room, owner, _guest = hall
    stranger = make_user("stranger")
    rooms.set_private(session=db_session, user=owner, room_id=room.id, private=True)
    say(db_session, owner, room, "members only")
    for room_id in (room.id, 999_999, "1", None):
        with pytest.raises(chat.ChatRefused, match="does not exist"):
            chat.history(session=db_session, user=stranger, room_id=room_id)
    assert chat.unread(session=db_session, user_ids={stranger.id})[stranger.id].counts == {}


def test_unread_counts_follow_the_read_marker_and_mentions(db_session, hall):
    room, owner, guest = hall
    say(db_session, owner, room, "one")
    say(db_session, owner, room, "hey @Guest look")
    say(db_session, guest, room, "mine does not count")
    found = chat.unread(session=db_session, user_ids={owner.id, guest.id})
    # posting marks the room read for its author: the guest read up to their own message
    assert found[guest.id].counts == {} and found[owner.id].counts == {room.id: 1}
    chat.mark_read(session=db_session, user=guest, room_id=room.id, message_id=0)
    say(db_session, owner, room, "@guestbook is someone else")
    found = chat.unread(session=db_session, user_ids={guest.id})[guest.id]
    assert found.counts == {room.id: 1} and found.mentioned == frozenset()
    say(db_session, owner, room, "ping @guest.")
    found = chat.unread(session=db_session, user_ids={guest.id})[guest.id]
    assert found.counts == {room.id: 2} and found.mentioned == {room.id}
    chat.mark_read(session=db_session, user=guest, room_id=room.id)
    found = chat.unread(session=db_session, user_ids={guest.id})[guest.id]
    assert found.counts == {} and found.mentioned == frozenset()


def test_a_marker_never_moves_back(db_session, hall):
    room, owner, guest = hall
    ids = [say(db_session, owner, room, str(n)).id for n in range(3)]
    assert chat.mark_read(session=db_session, user=guest, room_id=room.id) == ids[-1]
    assert chat.mark_read(session=db_session, user=guest, room_id=room.id,
                          message_id=ids[0]) == ids[-1]


def test_deleting_a_room_deletes_its_messages(db_session, hall):
    room, owner, guest = hall
    say(db_session, guest, room, "bye")
    chat.mark_read(session=db_session, user=guest, room_id=room.id)
    rooms.delete_room(session=db_session, user=owner, room_id=room.id)
    db_session.expunge_all()
    assert db_session.get(Room, room.id) is None
    assert db_session.exec(select(ChatMessage)).all() == []


def test_the_live_window_is_the_newest_page_then_everything_after_it(db_session, hall):
    room, owner, _guest = hall
    ids = [say(db_session, owner, room, f"m{n}").id for n in range(60)]
    shown, start = chat.latest(session=db_session, room_id=room.id)
    assert len(shown) == 50 and start == ids[10] - 1 and shown[0].continues
    more = say(db_session, owner, room, "new")
    shown, start2 = chat.latest(session=db_session, room_id=room.id, since_id=start)
    assert start2 == start and shown[-1].id == more.id and len(shown) == 51


def test_control_characters_and_lone_surrogates_never_reach_the_database(db_session, hall):
    room, owner, _guest = hall
    shown = say(db_session, owner, room, "a\x00b\r\nc\td\ud800\x1b[31m")
    assert shown.body == "ab\nc\td\ufffd[31m"


def test_readers_are_whoever_the_room_admits(db_session, hall, make_user):
    room, owner, guest = hall
    member, stranger = make_user("member"), make_user("stranger")
    everyone = {owner.id, guest.id, member.id, stranger.id}
    assert set(chat.readers(session=db_session, room_id=room.id, user_ids=everyone)) == everyone
    rooms.set_member(session=db_session, user=owner, room_id=room.id, member_id=member.id,
                     member=True)
    rooms.set_member(session=db_session, user=owner, room_id=room.id, member_id=guest.id,
                     member=True)
    rooms.set_private(session=db_session, user=owner, room_id=room.id, private=True)
    rooms.remove_from_call(session=db_session, user=owner, room_id=room.id, member_id=guest.id)
    found = chat.readers(session=db_session, room_id=room.id, user_ids=everyone)
    assert found == {owner.id: "owner", member.id: "member"}
    assert chat.readers(session=db_session, room_id=999_999, user_ids=everyone) == {}


def test_only_well_formed_chat_topics_pass_between_workers():
    sent = {"rooms", "chat:12", "chat:12:340", "read:7", "chat:x", "chat:1:2:3", "read:",
            "chat:١٢", "resync", "chat:12;flushall"}
    assert known_topics(sent) == {"rooms", "chat:12", "chat:12:340", "read:7"}
    changes = parse(known_topics(sent))
    assert (changes.rooms, changes.new, changes.readers) == ({12}, {340}, {7})
