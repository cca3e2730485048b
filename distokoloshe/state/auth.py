"""The login and registration forms."""

from __future__ import annotations

import asyncio

import reflex as rx

from distokoloshe import accounts, ratelimit, registration, routes, validation
from distokoloshe.db import session_scope
from distokoloshe.state.session import SessionState


def _field(form_data: object, name: str) -> object:
    # A tampered client can send anything as form data.
    return form_data.get(name, "") if isinstance(form_data, dict) else ""


def _log_in(username: object, password: object) -> tuple[str, str, str] | None:
    with session_scope() as session:
        user = accounts.sign_in(session=session, username=username, password=password)
        if user is None:
            return None
        return accounts.session_token_for(user), user.username, user.display_name


def _register(username: object, password: object, display_name: object,
              invite: object) -> tuple[str, str, str]:
    with session_scope() as session:
        user = registration.register(session=session, username=username, password=password,
                                     display_name=display_name, invite=invite)
        return accounts.session_token_for(user), user.username, user.display_name


class AuthFormState(rx.State):
    login_error: str = ""
    register_error: str = ""
    busy: bool = False
    # The registration page's invite, from its link (?invite=...): this browser's own, sent
    # back with the form. And what the page says first when no invite came with it.
    invite: str = ""
    registration_note: str = ""

    @rx.event
    def open_registration(self):
        """The registration page's on_load: take the invite from the link, if any."""
        code = self.router.url.query_parameters.get("invite", "")
        self.invite = code if isinstance(code, str) and len(code) <= 128 else ""
        self.registration_note = "" if self.invite else registration.refusal_without_invite()

    async def _sign_in_with(self, session_info: tuple[str, str, str]):
        session_state = await self.get_state(SessionState)
        session_state._start_session(*session_info)
        return rx.redirect(routes.LOBBY, replace=True)

    @rx.event
    async def log_in(self, form_data: dict):
        """Log in with the form's username and password."""
        self.login_error = ""
        refusal = ratelimit.hit_login(self.router.session.client_ip)
        if refusal is not None:
            self.login_error = refusal.message("login")
            return
        self.busy = True
        yield
        try:
            # bcrypt takes a quarter second; keep it off the event loop.
            session_info = await asyncio.to_thread(
                _log_in, _field(form_data, "username"), _field(form_data, "password")
            )
        except accounts.AccountDisabled as error:
            self.login_error = str(error)
            return
        finally:
            self.busy = False
        if session_info is None:
            self.login_error = accounts.GENERIC_LOGIN_FAILURE
            return
        yield await self._sign_in_with(session_info)

    @rx.event
    async def register(self, form_data: dict):
        """Create an account from the form and sign in to it."""
        self.register_error = ""
        password, confirmation = _field(form_data, "password"), _field(form_data, "confirm")
        if password != confirmation:
            self.register_error = "The two passwords do not match."
            return
        # Counted before the invite is looked at, so guessing invites is as slow as this.
        refusal = ratelimit.hit_registration(self.router.session.client_ip)
        if refusal is not None:
            self.register_error = refusal.message("registration")
            return
        self.busy = True
        yield
        try:
            session_info = await asyncio.to_thread(
                _register, _field(form_data, "username"), password,
                _field(form_data, "display_name"), _field(form_data, "invite"),
            )
        except (validation.InvalidInput, accounts.UsernameTaken) as error:
            self.register_error = str(error)
            return
        finally:
            self.busy = False
        yield await self._sign_in_with(session_info)

    @rx.event
    def clear_errors(self):
        """Forget the forms' error messages."""
        self.login_error = ""
        self.register_error = ""
