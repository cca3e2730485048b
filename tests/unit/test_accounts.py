"""Accounts on SQLite and PostgreSQL: register, log in, sessions, revocation, password change."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from distokoloshe import accounts, passwords, sessions
from distokoloshe.models import EndedSession, User
from distokoloshe.validation import InvalidInput

PASSWORD = "correct horse battery staple"
# For checks that do not depend on the database, and cost several bcrypt hashes each.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture
def verify_calls(monkeypatch):
    """Every password verification, as (password, hash) pairs, still really performed."""
    calls: list[tuple[str, str]] = []
    real = passwords.verify_password

    def spy(password, password_hash):
        calls.append((password, password_hash))
        return real(password, password_hash)

    monkeypatch.setattr(passwords, "verify_password", spy)
    return calls


def reload_user(engine, user_id: int) -> User:
    with Session(engine) as other:
        return other.get(User, user_id)


def test_register_then_authenticate(db_session):
    user = accounts.register(session=db_session, username="Alice", password=PASSWORD)
    assert user.id is not None
    assert user.username == "Alice"
    assert user.password_hash != PASSWORD and PASSWORD not in user.password_hash
    found = accounts.authenticate(session=db_session, username="alice", password=PASSWORD)
    assert found is not None and found.id == user.id


def test_registration_survives_commit_and_is_visible_to_another_session(db_session, engine):
    user = accounts.register(session=db_session, username="bob", password=PASSWORD,
                             display_name="Bob B")
    db_session.commit()
    stored = reload_user(engine, user.id)
    assert (stored.username, stored.username_key, stored.display_name) == ("bob", "bob", "Bob B")
    assert stored.token_version == 0


def test_username_is_unique_ignoring_case(db_session):
    accounts.register(session=db_session, username="Alice", password=PASSWORD)
    for second in ("alice", "ALICE", "aLiCe", " alice "):
        with pytest.raises(accounts.UsernameTaken):
            accounts.register(session=db_session, username=second, password=PASSWORD + "2")
    assert len(db_session.exec(select(User)).all()) == 1


def test_display_name_defaults_to_username(db_session):
    user = accounts.register(session=db_session, username="carol", password=PASSWORD,
                             display_name="   ")
    assert user.display_name == "carol"


def test_html_in_display_name_is_stored_verbatim(db_session, engine):
    shown = "<script>alert('x')</script>"
    user = accounts.register(session=db_session, username="mallory", password=PASSWORD,
                             display_name=shown)
    db_session.commit()
    assert reload_user(engine, user.id).display_name == shown


@pytest.mark.parametrize(
    "username, password, display_name",
    [("ab", PASSWORD, ""), ("dave", "short", ""), ("dave", PASSWORD, "\u202eevil"),
     (None, PASSWORD, ""), ("dave", ["not", "text"], ""), ("dave", PASSWORD, 42),
     ("dave", "\ud800" * 8, ""), ("dave", "x" * 5000, "")],
)
def test_register_refuses_invalid_input_without_storing_anything(db_session, username,
                                                                 password, display_name):
    with pytest.raises(InvalidInput):
        accounts.register(session=db_session, username=username, password=password,
                          display_name=display_name)
    assert db_session.exec(select(User)).all() == []


@SQLITE_ONLY
def test_login_failures_are_indistinguishable_and_each_costs_one_hash(db_session, verify_calls):
    user = accounts.register(session=db_session, username="erin", password=PASSWORD)

    verify_calls.clear()
    assert accounts.authenticate(session=db_session, username="erin", password="wrong password"
                                 ) is None
    assert len(verify_calls) == 1
    known_hash = verify_calls[0][1]
    assert known_hash == user.password_hash

    verify_calls.clear()
    assert accounts.authenticate(session=db_session, username="nobody", password=PASSWORD
                                 ) is None
    # The unknown user still pays for one real verification, against a hash of the same kind.
    assert len(verify_calls) == 1
    decoy = verify_calls[0][1]
    assert decoy != known_hash
    assert decoy.split("$")[:3] == known_hash.split("$")[:3]  # scheme, version, cost

    verify_calls.clear()
    assert accounts.authenticate(session=db_session, username="x", password="?") is None
    assert len(verify_calls) == 1


@SQLITE_ONLY
def test_authenticate_with_junk_returns_none(db_session):
    accounts.register(session=db_session, username="erin", password=PASSWORD)
    for username, password in [(None, None), (123, PASSWORD), ("erin", {"$ne": ""}),
                               ("erin", PASSWORD + "\x00")]:
        assert accounts.authenticate(session=db_session, username=username,
                                     password=password) is None, (username, password)


def test_session_token_resolves_to_its_user(db_session):
    user = accounts.register(session=db_session, username="frank", password=PASSWORD)
    token = accounts.session_token_for(user)
    assert accounts.user_for_session_token(session=db_session, token=token).id == user.id


@pytest.mark.parametrize("token", [None, "", "garbage", 12, "a.b.c"])
def test_junk_session_token_resolves_to_nobody(db_session, token):
    assert accounts.user_for_session_token(session=db_session, token=token) is None


def test_token_for_a_user_that_no_longer_exists_resolves_to_nobody(db_session):
    token = sessions.issue_session_token(987654, 0)
    assert accounts.user_for_session_token(session=db_session, token=token) is None


def test_revoke_all_sessions_stops_older_tokens(db_session, engine):
    user = accounts.register(session=db_session, username="grace", password=PASSWORD)
    old = accounts.session_token_for(user)
    accounts.revoke_all_sessions(session=db_session, user=user)
    db_session.commit()
    assert accounts.user_for_session_token(session=db_session, token=old) is None
    new = accounts.session_token_for(user)
    assert accounts.user_for_session_token(session=db_session, token=new).id == user.id
    # The revocation is in the database, so every worker sees it.
    with Session(engine) as other:
        assert accounts.user_for_session_token(session=other, token=old) is None
        assert accounts.user_for_session_token(session=other, token=new) is not None


def test_change_password_revokes_old_tokens_and_the_new_password_works(db_session):
    user = accounts.register(session=db_session, username="heidi", password=PASSWORD)
    old_token = accounts.session_token_for(user)
    accounts.change_password(session=db_session, user=user, current=PASSWORD,
                             new="a brand new passphrase \U0001f511")
    db_session.commit()
    assert accounts.user_for_session_token(session=db_session, token=old_token) is None
    assert accounts.authenticate(session=db_session, username="heidi",
                                 password="a brand new passphrase \U0001f511").id == user.id
    assert accounts.authenticate(session=db_session, username="heidi", password=PASSWORD) is None


@SQLITE_ONLY
def test_change_password_needs_the_current_password(db_session):
    user = accounts.register(session=db_session, username="ivan", password=PASSWORD)
    token = accounts.session_token_for(user)
    before = user.password_hash
    with pytest.raises(InvalidInput, match="Current password is wrong"):
        accounts.change_password(session=db_session, user=user, current="not my password",
                                 new="whatever new one")
    assert user.password_hash == before
    assert accounts.user_for_session_token(session=db_session, token=token).id == user.id


@SQLITE_ONLY
def test_change_password_refuses_an_invalid_new_password(db_session):
    user = accounts.register(session=db_session, username="judy", password=PASSWORD)
    before = user.password_hash
    with pytest.raises(InvalidInput):
        accounts.change_password(session=db_session, user=user, current=PASSWORD, new="short")
    assert user.password_hash == before


def test_concurrent_registration_of_the_same_name_lets_only_one_win(db_session, engine):
    """Two workers register "kim" and "KIM" at once: one wins, the other gets UsernameTaken."""
    first = accounts.register(session=db_session, username="kim", password=PASSWORD)
    outcome: list[object] = []

    def second_worker() -> None:
        with Session(engine) as other:
            try:
                accounts.register(session=other, username="KIM", password=PASSWORD)
                other.commit()
                outcome.append("registered")
            except Exception as error:  # noqa: BLE001 - recorded and asserted below
                outcome.append(error)

    thread = threading.Thread(target=second_worker)
    thread.start()
    # Let the other worker get past its uniqueness check and block on the insert.
    thread.join(timeout=0.6)
    db_session.commit()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], accounts.UsernameTaken), outcome
    with Session(engine) as check:
        assert [u.id for u in check.exec(select(User)).all()] == [first.id]


# -- log-out ends the session -------------------------------------------------------------------

def test_log_out_ends_that_token_and_no_other(db_session):
    user = accounts.register(session=db_session, username="lulu", password=PASSWORD)
    here, elsewhere = accounts.session_token_for(user), accounts.session_token_for(user)
    accounts.end_session(session=db_session, user=user, token=here)
    assert accounts.user_for_session_token(session=db_session, token=here) is None
    assert accounts.user_for_session_token(session=db_session, token=elsewhere).id == user.id
    accounts.end_session(session=db_session, user=user, token=here)  # again: harmless
    db_session.commit()
    assert accounts.user_for_session_token(session=db_session, token=here) is None


def test_log_out_cannot_end_another_users_session(db_session):
    mine = accounts.register(session=db_session, username="mine", password=PASSWORD)
    theirs = accounts.register(session=db_session, username="theirs", password=PASSWORD)
    their_token = accounts.session_token_for(theirs)
    accounts.end_session(session=db_session, user=mine, token=their_token)
    assert accounts.user_for_session_token(session=db_session, token=their_token).id == theirs.id


def test_ended_sessions_are_kept_until_their_tokens_expire(db_session):
    user = accounts.register(session=db_session, username="nina", password=PASSWORD)
    now = datetime.now(timezone.utc)
    old = sessions.issue_session_token(user.id, user.token_version, now=now - timedelta(days=8))
    stale = EndedSession(session_id="expired-session-id-00", user_id=user.id,
                         expires_at=now - timedelta(days=1))
    db_session.add(stale)
    db_session.flush()
    current = accounts.session_token_for(user)
    accounts.end_session(session=db_session, user=user, token=current)
    accounts.end_session(session=db_session, user=user, token=old)  # expired: nothing to end
    rows = db_session.exec(select(EndedSession)).all()
    assert [row.session_id for row in rows] == [
        sessions.verify_session_token(current).session_id]
    assert rows[0].expires_at > now + timedelta(days=6)


# -- passwords --------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["12345678", "password", "Password"])
def test_register_refuses_the_most_common_passwords(db_session, password):
    with pytest.raises(InvalidInput, match="too common"):
        accounts.register(session=db_session, username="olga", password=password)
    assert db_session.exec(select(User)).all() == []


@SQLITE_ONLY
def test_an_older_account_with_a_common_password_can_still_log_in(db_session):
    db_session.add(User(username="pat", username_key="pat", display_name="Pat",
                        password_hash=passwords.hash_password("password")))
    db_session.flush()
    assert accounts.authenticate(session=db_session, username="pat", password="password")
    with pytest.raises(InvalidInput, match="too common"):
        accounts.change_password(session=db_session, user=db_session.exec(select(User)).one(),
                                 current="password", new="12345678")


@SQLITE_ONLY
def test_change_password_hands_back_a_token_that_works_while_older_ones_stop(db_session):
    user = accounts.register(session=db_session, username="quinn", password=PASSWORD)
    other_tab = accounts.session_token_for(user)
    fresh = accounts.change_password(session=db_session, user=user, current=PASSWORD,
                                     new="a brand new passphrase")
    assert accounts.user_for_session_token(session=db_session, token=fresh).id == user.id
    assert accounts.user_for_session_token(session=db_session, token=other_tab) is None


@SQLITE_ONLY
@pytest.mark.parametrize("current", [None, 5, ["x"], "short", "x" * 5000])
def test_change_password_with_junk_for_the_current_one_says_it_is_wrong(db_session, current):
    user = accounts.register(session=db_session, username="rita", password=PASSWORD)
    with pytest.raises(InvalidInput, match="Current password is wrong"):
        accounts.change_password(session=db_session, user=user, current=current,
                                 new="a brand new passphrase")


# -- display names ------------------------------------------------------------------------------

@pytest.mark.parametrize("look_alike", ["Alice", "alice", "ALICE", "\u0430lice", "AIice",
                                        "Ali\u200bce", "\uff21lice", "Al\u0456ce"])
def test_register_refuses_a_display_name_that_looks_like_anothers(db_session, look_alike):
    accounts.register(session=db_session, username="alice1", password=PASSWORD,
                      display_name="Alice")
    with pytest.raises(accounts.DisplayNameTaken, match="display name"):
        accounts.register(session=db_session, username="mallory", password=PASSWORD,
                          display_name=look_alike)
    assert [u.username for u in db_session.exec(select(User)).all()] == ["alice1"]


def test_a_username_as_the_fallback_name_counts_too(db_session):
    accounts.register(session=db_session, username="sam", password=PASSWORD,
                      display_name="S\u0430m")  # Cyrillic а
    with pytest.raises(accounts.DisplayNameTaken):
        accounts.register(session=db_session, username="SAM_", password=PASSWORD,
                          display_name="SAM")
    user = accounts.register(session=db_session, username="sam2", password=PASSWORD)
    assert user.display_name == "sam2" and user.display_name_key == "sam2"


def test_display_name_is_stored_clean_with_its_key(db_session):
    user = accounts.register(session=db_session, username="tom", password=PASSWORD,
                             display_name="\uff34om\u200b")
    assert (user.display_name, user.display_name_key) == ("Tom", "tom")
