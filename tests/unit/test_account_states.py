"""Log-out and password change through the real states, in-process on a migrated database."""

from __future__ import annotations

import inspect

import pytest
from reflex.state import State

from distokoloshe import accounts, db
from distokoloshe.state.account import AccountState
from distokoloshe.state.session import SessionState

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def tab():
    """(root state of a tab signed in as a new user, that user's id)."""
    db.migrate()
    with db.session_scope() as session:
        user = accounts.register(session=session, username="tabby", password=PASSWORD)
        token = accounts.session_token_for(user)
    root = State(_reflex_internal_init=True)
    _substate(root, SessionState).session_token = token
    return root, user.id


def _substate(root: State, cls: type) -> State:
    return root.get_substate(cls.get_full_name().split(".")[1:])


def _resolves(token: str) -> int | None:
    with db.session_scope() as session:
        user = accounts.user_for_session_token(session=session, token=token)
        return None if user is None else user.id


async def _run(handler, *args) -> list:
    result = handler(*args)
    if hasattr(result, "__aiter__"):
        return [update async for update in result]
    if inspect.isawaitable(result):
        return [await result]
    return [result]


async def test_log_out_ends_the_token_itself(tab):
    root, user_id = tab
    session = _substate(root, SessionState)
    token = session.session_token
    assert _resolves(token) == user_id
    await _run(session.sign_out)
    assert session.session_token == ""
    assert _resolves(token) is None  # a copy of the token (another tab, a thief) is dead too


async def test_changing_the_password_keeps_this_tab_and_ends_the_others(tab):
    root, user_id = tab
    session, account = _substate(root, SessionState), _substate(root, AccountState)
    old_token = session.session_token
    await _run(account.set_password_dialog, True)
    await _run(account.change_password, {"current_password": PASSWORD,
                                         "new_password": "a new passphrase 42",
                                         "confirm_password": "a new passphrase 42"})
    assert account.password_error == ""
    assert not account.password_dialog_open and "Password changed" in account.password_notice
    assert session.session_token != old_token and _resolves(session.session_token) == user_id
    assert _resolves(old_token) is None
    with db.session_scope() as s:
        assert accounts.authenticate(session=s, username="tabby", password=PASSWORD) is None
        assert accounts.authenticate(session=s, username="tabby",
                                     password="a new passphrase 42").id == user_id


@pytest.mark.parametrize(("form", "message"), [
    ({"current_password": "wrong one!", "new_password": "a new passphrase 42",
      "confirm_password": "a new passphrase 42"}, "Current password is wrong."),
    ({"current_password": PASSWORD, "new_password": "a new passphrase 42",
      "confirm_password": "another"}, "The two new passwords do not match."),
    ({"current_password": PASSWORD, "new_password": "password",
      "confirm_password": "password"}, "This password is too common; choose another."),
    ({"current_password": PASSWORD, "new_password": "short",
      "confirm_password": "short"}, "Password must be 8–128 characters."),
    (["not", "a", "form"], "Current password is wrong."),
    ({"current_password": float("nan"), "new_password": {"x": 1},
      "confirm_password": {"x": 1}}, "Current password is wrong."),
])
async def test_a_refused_password_change_says_why_and_changes_nothing(tab, form, message):
    root, user_id = tab
    session, account = _substate(root, SessionState), _substate(root, AccountState)
    token = session.session_token
    await _run(account.change_password, form)
    assert account.password_error == message and account.password_notice == ""
    assert session.session_token == token and _resolves(token) == user_id
