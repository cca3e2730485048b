"""The admin page's state and the registration form, in-process on a migrated database: an
admin makes an invite whose link only they get, once; a user's tab gets nothing of the page;
disabling someone ends their sessions; the registration form takes the invite from its link."""

from __future__ import annotations

import json

import pytest
from reflex.state import State
from sqlmodel import select

from distokoloshe import accounts, db, invites, registration
from distokoloshe.models import Invite, User
from distokoloshe.settings import get_settings
from distokoloshe.state.admin import AdminState
from distokoloshe.state.auth import AuthFormState
from distokoloshe.state.session import SessionState
from tests.unit.test_account_states import _resolves, _run, _substate

PASSWORD = "pw-for-tests-1"


def _tab(username: str) -> tuple[State, int]:
    with db.session_scope() as session:
        user = registration.register(session=session, username=username, password=PASSWORD)
        token = accounts.session_token_for(user)
    root = State(_reflex_internal_init=True)
    _substate(root, SessionState).session_token = token
    return root, user.id


@pytest.fixture
def tabs():
    """(the admin's tab, a user's tab, the user's id): the first account is the admin."""
    db.migrate()
    admin_tab, _ = _tab("root")
    user_tab, user_id = _tab("someone")
    return admin_tab, user_tab, user_id


def _vars(root: State) -> str:
    page = _substate(root, AdminState)
    return json.dumps([page.accounts, page.rooms, page.invites, page.new_invite_link],
                      default=repr)


async def test_the_admin_gets_the_new_link_once_and_the_list_never_holds_a_code(tabs):
    admin_tab, _, _ = tabs
    page = _substate(admin_tab, AdminState)
    await _run(page.enter)
    assert _substate(admin_tab, SessionState).is_admin
    assert [a.username for a in page.accounts] == ["root", "someone"]

    await _run(page.create_invite, {"uses": "3", "hours": "72"})

    assert page.admin_error == ""
    code = page.new_invite_link.split("?invite=")[1]
    with db.session_scope() as session:
        [row] = session.exec(select(Invite)).all()
        assert row.code_hash == invites.code_hash(code) and row.max_uses == 3
    [listed] = page.invites
    assert (listed.uses, listed.status, listed.active) == ("0 of 3", "active", True)
    await _run(page.dismiss_invite_link)
    assert code not in _vars(admin_tab)
    await _run(page.revoke_invite, listed.id)
    assert page.invites[0].status == "withdrawn"


async def test_a_users_tab_is_sent_away_with_nothing_of_the_page(tabs):
    admin_tab, user_tab, _ = tabs
    await _run(_substate(admin_tab, AdminState).create_invite, {"uses": 1, "hours": 1})
    page = _substate(user_tab, AdminState)
    updates = await _run(page.enter)
    assert not _substate(user_tab, SessionState).is_admin
    assert "_redirect" in repr(updates) and "'/'" in repr(updates)  # to the lobby
    for handler, args in ((page.create_invite, ({"uses": 1, "hours": 1},)),
                          (page.refresh, ()), (page.revoke_invite, (1,)),
                          (page.set_admin, (2, True)), (page.disable_account, (1,)),
                          (page.enable_account, (2,))):
        await _run(handler, *args)
        assert page.accounts == [] and page.invites == [] and page.new_invite_link == ""
    with db.session_scope() as session:
        assert session.exec(select(User.username).where(User.is_admin)).all() == ["root"]
        assert len(session.exec(select(Invite)).all()) == 1
        assert all(u.disabled_at is None for u in session.exec(select(User)))


async def test_disabling_someone_ends_their_sessions_and_the_last_admin_stays(tabs):
    admin_tab, user_tab, user_id = tabs
    page = _substate(admin_tab, AdminState)
    await _run(page.enter)
    user_token = _substate(user_tab, SessionState).session_token
    await _run(page.disable_account, user_id)
    assert page.admin_error == ""
    assert _resolves(user_token) is None
    assert [a.disabled for a in page.accounts if a.id == user_id] == [True]
    me = next(a.id for a in page.accounts if a.me)
    await _run(page.set_admin, me, False)
    assert "always needs an admin" in page.admin_error
    await _run(page.enable_account, user_id)
    assert [a.disabled for a in page.accounts if a.id == user_id] == [False]


async def test_the_registration_form_takes_the_invite_from_its_link(tabs, monkeypatch):
    admin_tab, _, _ = tabs
    page = _substate(admin_tab, AdminState)
    await _run(page.create_invite, {"uses": 1, "hours": 1})
    code = page.new_invite_link.split("?invite=")[1]
    monkeypatch.setenv("REGISTRATION", "invite")
    get_settings.cache_clear()

    visitor = State(_reflex_internal_init=True)
    form = _substate(visitor, AuthFormState)
    await _run(form.open_registration)
    assert form.invite == "" and form.registration_note == registration.INVITE_ONLY
    await _run(form.register, {"username": "guest", "password": PASSWORD,
                               "confirm": PASSWORD})
    assert form.register_error == registration.INVITE_ONLY
    await _run(form.register, {"username": "guest", "password": PASSWORD,
                               "confirm": PASSWORD, "invite": code})
    assert form.register_error == ""
    assert _resolves(_substate(visitor, SessionState).session_token) is not None
