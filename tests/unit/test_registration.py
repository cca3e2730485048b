"""Who may create an account, on SQLite and PostgreSQL: the registration modes, invites (one
refusal for every way they fail, uses counted safely, private rooms granted), the first
admin of a local run and of a production install."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from distokoloshe import accounts, admin, invites, registration, rooms
from distokoloshe.models import Invite, InviteUse, Room, RoomMember, User
from distokoloshe.settings import get_settings
from tests.support.threads import run_at_once

PASSWORD = "correct horse battery staple"


def mode(name: str, **more):
    return get_settings().model_copy(update={"registration": name, **more})


def register(session, username: str, *, invite: object = "", settings=None) -> User:
    return registration.register(session=session, username=username, password=PASSWORD,
                                 invite=invite, settings=settings or mode("open"))


@pytest.fixture
def an_admin(db_session) -> User:
    user = register(db_session, "root")
    assert user.is_admin
    return user


def test_in_open_mode_the_first_account_is_the_admin_and_the_next_is_not(db_session):
    first = register(db_session, "first")
    second = register(db_session, "second")
    assert first.is_admin and not second.is_admin
    assert first.last_signed_in_at is not None


@pytest.mark.parametrize(("name", "message"), [("invite", registration.INVITE_ONLY),
                                               ("closed", registration.CLOSED)])
def test_without_an_invite_invite_and_closed_modes_say_why_they_refuse(db_session, name,
                                                                       message):
    with pytest.raises(registration.RegistrationClosed, match=message):
        register(db_session, "stranger", settings=mode(name))
    assert db_session.exec(select(User)).all() == []
    assert registration.refusal_without_invite(mode(name)) == message
    assert registration.refusal_without_invite(mode("open")) == ""


def test_an_invite_registers_someone_once_and_the_admin_sees_who(db_session, an_admin):
    made = invites.create_invite(session=db_session, user=an_admin, uses=1, hours=24)
    guest = register(db_session, "guest", invite=made.code, settings=mode("invite"))
    assert not guest.is_admin
    with pytest.raises(invites.InvalidInvite, match="does not work"):
        register(db_session, "second-guest", invite=made.code, settings=mode("invite"))
    [summary] = invites.list_invites(session=db_session, user=an_admin)
    assert (summary.uses, summary.max_uses) == (1, 1)
    assert [use.name for use in summary.used_by] == ["guest"]
    assert summary.status(datetime.now(timezone.utc)) == "used up"
    assert summary.created_by == "root"


def test_only_the_codes_hash_is_stored(db_session, an_admin):
    made = invites.create_invite(session=db_session, user=an_admin, uses=3, hours=1)
    [row] = db_session.exec(select(Invite)).all()
    assert row.code_hash == hashlib.sha256(made.code.encode()).hexdigest()
    assert made.code not in repr(row.model_dump())
    assert len(made.code) >= 32  # 24 random bytes: 192 bits


def test_every_failing_invite_is_refused_with_the_same_message(db_session, an_admin):
    now = datetime.now(timezone.utc)
    expired = invites.create_invite(session=db_session, user=an_admin, uses=5, hours=1,
                                    now=now - timedelta(hours=2))
    withdrawn = invites.create_invite(session=db_session, user=an_admin, uses=5, hours=24)
    invites.revoke_invite(session=db_session, user=an_admin, invite_id=withdrawn.id)
    used_up = invites.create_invite(session=db_session, user=an_admin, uses=1, hours=24)
    register(db_session, "uses-it", invite=used_up.code, settings=mode("invite"))
    forged = invites.new_code()
    messages = set()
    for code in (expired.code, withdrawn.code, used_up.code, forged, "x", 7, ["a"],
                 "A" * 5000, expired.code + " "):
        with pytest.raises(invites.InvalidInvite) as refusal:
            register(db_session, "hopeful", invite=code, settings=mode("invite"))
        messages.add(str(refusal.value))
    assert messages == {invites.INVALID_INVITE}
    assert db_session.exec(select(User).where(User.username == "hopeful")).first() is None


def test_a_refused_registration_uses_nothing_of_the_invite(db_session, engine, an_admin):
    made = invites.create_invite(session=db_session, user=an_admin, uses=1, hours=24)
    db_session.commit()
    with Session(engine) as other:
        with pytest.raises(accounts.UsernameTaken):
            register(other, "root", invite=made.code, settings=mode("invite"))
        other.rollback()
    assert register(db_session, "newcomer", invite=made.code, settings=mode("invite"))


def test_an_invite_grants_its_private_rooms(db_session, an_admin):
    den = rooms.create_room(session=db_session, user=an_admin, name="Den")
    den.private = True
    db_session.add(den)
    hall = rooms.create_room(session=db_session, user=an_admin, name="Hall")
    with pytest.raises(invites.validation.InvalidInput, match="only grant private rooms"):
        invites.create_invite(session=db_session, user=an_admin, uses=1, hours=1,
                              room_ids=[hall.id])
    made = invites.create_invite(session=db_session, user=an_admin, uses=2, hours=1,
                                 room_ids=[str(den.id), den.id])
    guest = register(db_session, "guest", invite=made.code, settings=mode("invite"))
    assert db_session.get(RoomMember, (den.id, guest.id)) is not None
    assert db_session.get(RoomMember, (hall.id, guest.id)) is None
    [summary] = invites.list_invites(session=db_session, user=an_admin)
    assert summary.room_names == ("Den",)


@pytest.mark.parametrize(("uses", "hours"), [(0, 24), (101, 24), ("two", 24), (True, 24),
                                             (1, 0), (1, 721), (1, 1.5), (1, None)])
def test_invites_last_1_hour_to_30_days_for_1_to_100_uses(db_session, an_admin, uses, hours):
    with pytest.raises(invites.validation.InvalidInput):
        invites.create_invite(session=db_session, user=an_admin, uses=uses, hours=hours)


def test_only_an_admin_makes_lists_or_withdraws_invites(db_session, an_admin):
    someone = register(db_session, "someone")
    made = invites.create_invite(session=db_session, user=an_admin, uses=1, hours=1)
    for attempt in (lambda: invites.create_invite(session=db_session, user=someone, uses=1,
                                                  hours=1),
                    lambda: invites.list_invites(session=db_session, user=someone),
                    lambda: invites.revoke_invite(session=db_session, user=someone,
                                                  invite_id=made.id)):
        with pytest.raises(admin.NotAdmin):
            attempt()
    assert db_session.get(Invite, made.id).revoked_at is None


def test_closed_mode_takes_only_a_first_admin_invite(db_session, an_admin):
    ordinary = invites.create_invite(session=db_session, user=an_admin, uses=5, hours=1)
    with pytest.raises(invites.InvalidInvite):
        register(db_session, "late", invite=ordinary.code, settings=mode("closed"))
    first = invites.create_first_admin_invite(session=db_session)
    operator = register(db_session, "operator", invite=first.code, settings=mode("closed"))
    assert operator.is_admin
    assert db_session.get(Invite, ordinary.id).uses == 0


def test_the_init_scripts_first_admin_link_works_once_while_there_is_no_admin(db_session):
    code = invites.new_code()
    until = int(time.time()) + 3600
    planted = mode("invite", first_admin_invite=invites.code_hash(code),
                   first_admin_invite_until=until)
    with pytest.raises(invites.InvalidInvite):  # another code is not it
        register(db_session, "guesser", invite=invites.new_code(), settings=planted)
    operator = register(db_session, "operator", invite=code, settings=planted)
    assert operator.is_admin
    with pytest.raises(invites.InvalidInvite):
        register(db_session, "again", invite=code, settings=planted)
    [use] = db_session.exec(select(InviteUse)).all()
    assert use.user_id == operator.id


def test_the_init_scripts_link_is_dead_once_expired_or_once_an_admin_exists(db_session):
    code = invites.new_code()
    expired = mode("invite", first_admin_invite=invites.code_hash(code),
                   first_admin_invite_until=int(time.time()) - 1)
    with pytest.raises(invites.InvalidInvite):
        register(db_session, "late-operator", invite=code, settings=expired)
    register(db_session, "root")  # open mode: the admin
    valid = expired.model_copy(update={"first_admin_invite_until": int(time.time()) + 3600})
    with pytest.raises(invites.InvalidInvite):
        register(db_session, "usurper", invite=code, settings=valid)


def test_concurrent_uses_never_pass_an_invites_uses(engine):
    """Six registrations with a two-use invite at once: exactly two get in."""
    with Session(engine, expire_on_commit=False) as session:
        root = register(session, "root")
        made = invites.create_invite(session=session, user=root, uses=2, hours=1)
        session.commit()
    outcomes: list[str] = []

    def attempt(n: int, start) -> None:
        with Session(engine) as session:
            start.wait()
            try:
                register(session, f"racer{n}", invite=made.code, settings=mode("invite"))
                time.sleep(0.05)  # stay in the transaction, as the app does
                session.commit()
                outcomes.append("in")
            except invites.InvalidInvite:
                session.rollback()
                outcomes.append("refused")

    run_at_once(attempt, 6)
    assert sorted(outcomes) == ["in"] * 2 + ["refused"] * 4
    with Session(engine) as session:
        assert session.get(Invite, made.id).uses == 2
        assert len(session.exec(select(InviteUse)).all()) == 2


def test_concurrent_first_registrations_make_one_admin(engine):
    def attempt(n: int, start) -> None:
        with Session(engine) as session:
            start.wait()
            register(session, f"early{n}")
            time.sleep(0.05)
            session.commit()

    run_at_once(attempt, 4)
    with Session(engine) as session:
        users = session.exec(select(User)).all()
        assert len(users) == 4
        assert sum(user.is_admin for user in users) == 1


def test_the_first_admin_command_makes_a_day_long_one_use_link(db_session):
    made = invites.create_first_admin_invite(session=db_session)
    row = db_session.get(Invite, made.id)
    assert row.makes_admin and row.max_uses == 1
    assert timedelta(hours=23) < row.expires_at - datetime.now(timezone.utc) <= timedelta(
        hours=24)
    assert invites.invite_link("https://voice.example.org/", made.code) == (
        f"https://voice.example.org/register?invite={made.code}")


def test_a_deleted_room_leaves_the_invite_working(db_session, an_admin):
    den = Room(name="Den", name_key="den", owner_id=an_admin.id, private=True)
    db_session.add(den)
    db_session.flush()
    made = invites.create_invite(session=db_session, user=an_admin, uses=1, hours=1,
                                 room_ids=[den.id])
    rooms.delete_room(session=db_session, user=an_admin, room_id=den.id)
    guest = register(db_session, "guest", invite=made.code, settings=mode("invite"))
    assert db_session.exec(select(RoomMember).where(RoomMember.user_id == guest.id)).all() == []
