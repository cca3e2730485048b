"""The account menu's password change."""

from __future__ import annotations

import reflex as rx

from distokoloshe import accounts, ratelimit, validation
from distokoloshe.realtime.presence_hub import hub
from distokoloshe.state.session import NotSignedIn, SessionState, SignedIn


def _field(form_data: object, name: str) -> object:
    # A tampered client can send anything as form data.
    return form_data.get(name, "") if isinstance(form_data, dict) else ""


class AccountState(SignedIn, rx.State):
    password_dialog_open: bool = False
    password_error: str = ""
    password_busy: bool = False
    # shown in the menu's place after a change, until the dialog is opened again
    password_notice: str = ""

    @rx.event
    def set_password_dialog(self, open: object):
        """Open or close the change-password dialog."""
        self.password_dialog_open = open is True
        self.password_error = ""
        if self.password_dialog_open:
            self.password_notice = ""

    @rx.event
    async def change_password(self, form_data: dict):
        """Change this account's password; every other session of it ends, this tab stays."""
        self.password_error = ""
        current = _field(form_data, "current_password")
        new, confirm = _field(form_data, "new_password"), _field(form_data, "confirm_password")
        if new != confirm:
            self.password_error = "The two new passwords do not match."
            return
        # It checks a password, so it counts against the same limit as logging in.
        refusal = ratelimit.hit_login(self.router.session.client_ip)
        if refusal is not None:
            self.password_error = refusal.message("password")
            return
        self.password_busy = True
        yield
        try:
            token = await self._as_user(accounts.change_password, current=current, new=new)
        except validation.InvalidInput as error:
            self.password_error = str(error)
            return
        except NotSignedIn:
            self.password_dialog_open = False
            yield SessionState.session_failed
            return
        finally:
            self.password_busy = False
        session = await self.get_state(SessionState)
        session._renew_session(token)
        await hub.sessions_ended()  # the other tabs go to the login page now
        self.password_dialog_open = False
        self.password_notice = "Password changed. Your other sessions have been logged out."
