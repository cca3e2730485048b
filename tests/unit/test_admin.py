"""What admins may do, on SQLite and PostgreSQL: list accounts and rooms, disable and enable
accounts (sessions end, calls' keys move on, sign-in refused), make and unmake admins (never
the last one, even when two admins act at once), and delete any room."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session, select

from distokoloshe import accounts, admin, rooms
from distokoloshe.livekit_tokens import livekit_room_name
from distokoloshe.models import Room, User
from tests.support.threads import run_at_once

PASSWORD = "correct horse battery staple"


@pytest.fixture
def people(db_session):
    """(an admin, a user), both with PASSWORD."""
    root = accounts.register(session=db_session, username="root", password=PASSWORD)
    root.is_admin = True
    someone = accounts.register(session=db_session, username="someone", password=PASSWORD)
    db_session.flush()
    return root, someone


def test_the_admin_lists_accounts_with_their_last_sign_in(db_session, people):
    root, someone = people
    accounts.sign_in(session=db_session, username="someone", password=PASSWORD)
    listed = {a.username: a for a in admin.list_accounts(session=db_session, user=root)}
    assert listed["someone"].last_signed_in_at is not None
    assert listed["root"].last_signed_in_at is None
    assert listed["root"].is_admin and not listed["someone"].is_admin
    with pytest.raises(admin.NotAdmin):
        admin.list_accounts(session=db_session, user=someone)
    with pytest.raises(admin.NotAdmin):
        admin.list_rooms(session=db_session, user=someone)


def test_disabling_ends_sessions_refuses_sign_in_and_moves_call_keys(db_session, people):
    root, someone = people
    token = accounts.session_token_for(someone)
    den = rooms.create_room(session=db_session, user=root, name="Den")
    hall = rooms.create_room(session=db_session, user=root, name="Hall")

    moved = admin.disable_account(session=db_session, user=root, account_id=someone.id,
                                  livekit_rooms=[livekit_room_name(den.id), "not-ours"])

    assert moved == [(den.id, 1)]
    assert db_session.get(Room, hall.id).key_epoch == 0
    assert accounts.user_for_session_token(session=db_session, token=token) is None
    with pytest.raises(accounts.AccountDisabled, match="disabled this account"):
        accounts.sign_in(session=db_session, username="someone", password=PASSWORD)
    assert accounts.sign_in(session=db_session, username="someone", password="wrong" * 3) \
        is None  # a wrong password still learns nothing
    again = accounts.session_token_for(db_session.get(User, someone.id))
    assert accounts.user_for_session_token(session=db_session, token=again) is None

    admin.enable_account(session=db_session, user=root, account_id=str(someone.id))
    assert accounts.user_for_session_token(session=db_session, token=token) is None  # ended
    assert accounts.sign_in(session=db_session, username="someone", password=PASSWORD)


def test_a_user_cannot_disable_promote_or_enable_anyone(db_session, people):
    root, someone = people
    for attempt in (
            lambda: admin.disable_account(session=db_session, user=someone,
                                          account_id=root.id, livekit_rooms=[]),
            lambda: admin.set_admin(session=db_session, user=someone, account_id=someone.id,
                                    admin=True),
            lambda: admin.enable_account(session=db_session, user=someone,
                                         account_id=someone.id)):
        with pytest.raises(admin.NotAdmin):
            attempt()
    db_session.refresh(root)
    assert root.is_admin and root.disabled_at is None and not someone.is_admin


def test_the_last_admin_stays(db_session, people):
    root, someone = people
    with pytest.raises(admin.LastAdmin):
        admin.set_admin(session=db_session, user=root, account_id=root.id, admin=False)
    with pytest.raises(admin.LastAdmin):
        admin.disable_account(session=db_session, user=root, account_id=root.id,
                              livekit_rooms=[])
    admin.set_admin(session=db_session, user=root, account_id=someone.id, admin=True)
    admin.set_admin(session=db_session, user=root, account_id=root.id, admin=False)
    assert admin.active_admins(session=db_session) == 1
    with pytest.raises(admin.NotAdmin):  # root is no admin any more
        admin.set_admin(session=db_session, user=root, account_id=root.id, admin=True)


@pytest.mark.parametrize("account_id", [0, -1, 2**63, 2**70, "x", None, True, [1], 1.0, "9" * 30])
def test_unknown_accounts_are_refused(db_session, people, account_id):
    root, _ = people
    with pytest.raises(admin.UnknownAccount):
        admin.set_admin(session=db_session, user=root, account_id=account_id, admin=True)


def test_two_admins_removing_each_other_at_once_leave_one(engine):
    """Each counts the admins after the other has finished, so one of them stays."""
    with Session(engine, expire_on_commit=False) as session:
        pair = []
        for name in ("ada", "bob"):
            user = User(username=name, username_key=name, display_name=name,
                        password_hash="x", is_admin=True)
            session.add(user)
            pair.append(user)
        session.commit()
    outcomes: list[str] = []
    ada, bob = pair

    def remove(n: int, start) -> None:
        me, other, how = (ada, bob, "unmake") if n == 0 else (bob, ada, "disable")
        with Session(engine) as session:
            user = session.get(User, me.id)
            start.wait()
            try:
                if how == "unmake":
                    admin.set_admin(session=session, user=user, account_id=other.id,
                                    admin=False)
                else:
                    admin.disable_account(session=session, user=user, account_id=other.id,
                                          livekit_rooms=[])
                time.sleep(0.05)
                session.commit()
                outcomes.append("done")
            except (admin.NotAdmin, admin.LastAdmin):
                session.rollback()
                outcomes.append("refused")

    run_at_once(remove, 2)
    assert sorted(outcomes) == ["done", "refused"]
    with Session(engine) as session:
        assert admin.active_admins(session=session) == 1


def test_an_admin_deletes_any_room_and_a_user_only_their_own(db_session, people):
    root, someone = people
    theirs = rooms.create_room(session=db_session, user=someone, name="Theirs")
    mine = rooms.create_room(session=db_session, user=root, name="Mine")
    with pytest.raises(rooms.NotRoomOwner):
        rooms.delete_room(session=db_session, user=someone, room_id=mine.id)
    rooms.delete_room(session=db_session, user=root, room_id=theirs.id)
    assert [r.name for r in admin.list_rooms(session=db_session, user=root)] == ["Mine"]
    assert db_session.exec(select(Room).where(Room.id == theirs.id)).first() is None
