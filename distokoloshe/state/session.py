"""Who the browser is signed in as, derived from a verified session token on every use.

The token lives in the browser's localStorage, not only in server-side state, so a
websocket reconnect that hands the tab a fresh Reflex client token (Reflex issue
#6345) re-hydrates the same token and nobody is logged out.

`SignedIn` is the one way a state acts for a user: every state that does mixes it in and
calls `self._as_user(action, ...)`, which verifies the tab's token and runs the domain
action in one transaction, off the event loop. Identity never comes from event arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import reflex as rx

from distokoloshe import accounts, admin, calls, livekit_admin, routes
from distokoloshe.db import session_scope
from distokoloshe.livekit_tokens import participant_identity
from distokoloshe.realtime.presence_hub import hub

T = TypeVar("T")


class NotSignedIn(Exception):
    pass


def who_is(*, session, user) -> tuple[int, str, str, bool]:
    """What a signed-in page keeps of its verified user: id, username, display name, and
    whether to show the way to the admin page."""
    return user.id, user.username, user.display_name, admin.is_active_admin(user)


async def run_as_user(token: str, action: Callable[..., T], /, **kwargs: Any) -> T:
    """`action(session=..., user=..., **kwargs)` for the user `token` verifies, in one
    transaction on a worker thread (bcrypt and the database stay off the event loop)."""

    def work() -> T:
        with session_scope() as session:
            user = accounts.user_for_session_token(session=session, token=token)
            if user is None:
                raise NotSignedIn
            return action(session=session, user=user, **kwargs)

    return await asyncio.to_thread(work)


async def end_sessions_of(token: str, account_id: int, action: Callable[..., Iterable],
                          /, **kwargs: Any) -> None:
    """Runs `action(session=..., user=..., livekit_rooms=..., **kwargs)` for the user `token`
    verifies: a domain call that ends every session of account `account_id` and moves on the
    key of each call it is in (`livekit_rooms`: those presence knows), returning (room id,
    new key epoch) for each. Then that account's lobby tabs go to the login page, its devices
    are put out of those calls, and the others in each are told the key moved on. Raises
    NotSignedIn as run_as_user does."""
    identity = participant_identity(account_id)
    in_calls = await hub.calls_of(identity) if account_id else []
    moved = await run_as_user(token, action, livekit_rooms=in_calls, **kwargs)
    await hub.sessions_ended()
    for room_id, key_epoch in moved:
        await livekit_admin.remove_participant_and_announce_key(room_id, identity, key_epoch)


class SessionState(rx.State):
    session_token: str = rx.LocalStorage(name="dtk_session", sync=True)
    username: str = ""
    display_name: str = ""
    # whether to show the way to the admin page; each admin action checks for itself
    is_admin: bool = False
    # The user id that require_signed_in last verified for this tab (backend only, so no
    # client can set it); 0 when signed out.
    _verified_user_id: int = 0

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.username)

    @rx.var
    def initial(self) -> str:
        return (self.display_name[:1] or "?").upper()

    def _start_session(self, token: str, username: str, display_name: str) -> None:
        self.session_token = token
        self.username = username
        self.display_name = display_name

    def _renew_session(self, token: str) -> None:
        """This tab keeps its sign-in under a fresh token (after a password change)."""
        self.session_token = token

    def _end_session(self) -> None:
        self._verified_user_id = 0
        self.session_token = ""
        self.username = ""
        self.display_name = ""
        self.is_admin = False

    def _forget_bad_session(self) -> None:
        """The token this state holds did not verify: drop it (and so the browser's copy).
        With no token at all, touch nothing: this backend state may simply be new (a lost
        Redis, an expired state) and the browser may still hold a good token, which the
        login page's check reads from its storage again and sends the user straight back."""
        if self.session_token:
            self._end_session()
        self._verified_user_id = 0

    @rx.event
    async def require_signed_in(self):
        """First step of a signed-in page's load: refresh who we are, or go to the login
        page."""
        try:
            self._signed_in_as(await run_as_user(self.session_token, who_is))
        except NotSignedIn:
            return self._to_login()
        return None

    def _signed_in_as(self, who: tuple[int, str, str, bool]) -> None:
        """What a sign-in check (who_is) found."""
        self._verified_user_id, self.username, self.display_name, self.is_admin = who

    def _to_login(self):
        self._forget_bad_session()
        return rx.redirect(routes.LOGIN, replace=True)

    @rx.event
    async def require_signed_out(self):
        """on_load of the login and registration pages."""
        try:
            await run_as_user(self.session_token, lambda session, user: None)
        except NotSignedIn:
            self._forget_bad_session()
            await hub.unsubscribe(sid=self.router.session.session_id)
            return None
        return rx.redirect(routes.LOBBY, replace=True)

    @rx.event
    async def session_failed(self):
        """A handler found no verified user: to the login page, keeping a browser's token
        that may still be good (see _forget_bad_session)."""
        await hub.unsubscribe(sid=self.router.session.session_id)
        self._forget_bad_session()
        return rx.redirect(routes.LOGIN, replace=True)

    @rx.event
    async def sign_out(self):
        """Log out of this tab's session, which stops its token from working anywhere."""
        await hub.unsubscribe(sid=self.router.session.session_id)
        with contextlib.suppress(NotSignedIn):  # an ended session needs no ending
            await run_as_user(self.session_token, accounts.end_session,
                              token=self.session_token)
        self._end_session()
        return rx.redirect(routes.LOGIN, replace=True)

    @rx.event
    async def recheck_session(self):
        """Sent by the presence hub when this tab's session has ended elsewhere: if it has,
        to the login page."""
        try:
            await run_as_user(self.session_token, lambda session, user: None)
        except NotSignedIn:
            return await self.session_failed()
        return None

    @rx.event
    async def sign_out_everywhere(self):
        """End every session of this account, put its devices out of their calls (with the
        calls' keys moved on), then log out here."""
        with contextlib.suppress(NotSignedIn):
            await end_sessions_of(self.session_token, self._verified_user_id,
                                  calls.sign_out_everywhere)
        return await self.sign_out()


class SignedIn(rx.State, mixin=True):
    """Mixed into every state that acts for the signed-in user."""

    async def _as_user(self, action: Callable[..., T], /, **kwargs: Any) -> T:
        """`action(session=..., user=..., **kwargs)` for this tab's verified user; raises
        NotSignedIn when the tab's session token does not verify."""
        session = await self.get_state(SessionState)
        return await run_as_user(session.session_token, action, **kwargs)

    async def _session_token(self) -> str:
        return (await self.get_state(SessionState)).session_token

    async def _verified(self) -> tuple[int, str]:
        """(user id, display name) as the lobby's sign-in check last verified them, without a
        database round trip; (0, "") before that check or after signing out."""
        session = await self.get_state(SessionState)
        return session._verified_user_id, session.display_name
