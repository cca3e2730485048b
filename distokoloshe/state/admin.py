"""The admin page: accounts, rooms and invites.

Only admins see the page, but that is a courtesy: every handler acts through the domain
(distokoloshe/admin.py, distokoloshe/invites.py), which checks that the verified user is an
admin in the same transaction as the change. Each action and the page's new contents are
one transaction. Deleting a room is RoomsState.delete_room, wired beside `refresh` in the
component.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from datetime import datetime, timezone
from typing import TypeVar

import reflex as rx

from distokoloshe import admin, invites, routes, validation
from distokoloshe.settings import get_settings
from distokoloshe.state.session import NotSignedIn, SessionState, SignedIn, end_sessions_of

# (hours, label) for the invite form's "Expires after"
INVITE_LIFETIMES = ((1, "1 hour"), (12, "12 hours"), (24, "1 day"), (72, "3 days"),
                    (168, "7 days"), (720, "30 days"))
T = TypeVar("T")
REFUSALS = (admin.LastAdmin, admin.UnknownAccount, invites.UnknownInvite,
            validation.InvalidInput)


@dataclasses.dataclass
class AccountRow:
    id: int
    username: str
    display_name: str
    admin: bool
    disabled: bool
    last_signed_in: str
    me: bool


@dataclasses.dataclass
class AdminRoomRow:
    id: int
    name: str
    owner_name: str
    private: bool
    members: int


@dataclasses.dataclass
class InviteRow:
    id: int
    created: str
    expires: str
    uses: str
    status: str
    active: bool
    rooms: str
    used_by: list[str]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


def _invite_row(summary: invites.InviteSummary, now: datetime) -> InviteRow:
    status = summary.status(now)
    return InviteRow(
        id=summary.id,
        created=_when(summary.created_at) + (f" by {summary.created_by}"
                                             if summary.created_by else ""),
        expires=_when(summary.expires_at),
        uses=f"{summary.uses} of {summary.max_uses}",
        status="first admin, " + status if summary.makes_admin else status,
        active=status == "active",
        rooms=", ".join(summary.room_names),
        used_by=[f"{use.name} ({_when(use.used_at)})" for use in summary.used_by],
    )


@dataclasses.dataclass(frozen=True)
class _Page:
    accounts: list[AccountRow]
    rooms: list[AdminRoomRow]
    invites: list[InviteRow]


def _page(*, session, user) -> _Page:
    now = datetime.now(timezone.utc)
    return _Page(
        [AccountRow(a.id, a.username, a.display_name, a.is_admin, a.disabled,
                    _when(a.last_signed_in_at), a.id == user.id)
         for a in admin.list_accounts(session=session, user=user)],
        [AdminRoomRow(r.id, r.name, r.owner_name, r.private, r.members)
         for r in admin.list_rooms(session=session, user=user)],
        [_invite_row(summary, now)
         for summary in invites.list_invites(session=session, user=user)])


def _then_page(action):
    """`action`, then the page's new contents, in the same transaction."""
    def run(*, session, user, **kwargs):
        return action(session=session, user=user, **kwargs), _page(session=session, user=user)
    return run


def _room_choices(form_data: dict) -> list[str]:
    return [key.removeprefix("room_") for key in form_data
            if isinstance(key, str) and key.startswith("room_")]


class AdminState(SignedIn, rx.State):
    accounts: list[AccountRow] = []
    rooms: list[AdminRoomRow] = []
    invites: list[InviteRow] = []
    registration: str = ""
    # The link of the invite just made: its code exists nowhere else, so it is shown once,
    # here, to the admin who made it, until they dismiss it or leave the page.
    new_invite_link: str = ""
    admin_error: str = ""

    @rx.var
    def private_rooms(self) -> list[AdminRoomRow]:
        return [room for room in self.rooms if room.private]

    def _show(self, page: _Page) -> None:
        self.accounts, self.rooms, self.invites = page.accounts, page.rooms, page.invites
        self.registration = get_settings().registration

    def _forget(self) -> None:
        self.accounts, self.rooms, self.invites = [], [], []
        self.new_invite_link = ""

    async def _guard(self, acting: Awaitable[T]) -> tuple[T | None, object]:
        """(what `acting` returned, None); or (None, where to go) when this user may not be
        here; or (None, None) when the domain refused, with the reason shown."""
        self.admin_error = ""
        try:
            return await acting, None
        except NotSignedIn:
            self._forget()
            return None, SessionState.session_failed
        except admin.NotAdmin:
            self._forget()
            return None, rx.redirect(routes.LOBBY, replace=True)
        except REFUSALS as error:
            self.admin_error = str(error)
            return None, None

    async def _act(self, action, /, **kwargs) -> tuple[object, object]:
        """A domain action, and the page as it left it: (its result, where to go)."""
        done, away = await self._guard(self._as_user(_then_page(action), **kwargs))
        if done is None:
            return None, away
        result, page = done
        self._show(page)
        return result, None

    @rx.event
    async def enter(self):
        """The admin page's on_load: who is asking, then what the page shows."""
        self._forget()
        away = await (await self.get_state(SessionState)).require_signed_in()
        if away is not None:
            return away
        return (await self._act(lambda session, user: None))[1]

    @rx.event
    async def refresh(self):
        """Read the page again (after a room was deleted, say)."""
        return (await self._act(lambda session, user: None))[1]

    @rx.event
    async def create_invite(self, form_data: dict):
        """Make an invite from the form: how many uses, how long, which private rooms."""
        fields = form_data if isinstance(form_data, dict) else {}
        self.new_invite_link = ""
        made, away = await self._act(invites.create_invite, uses=fields.get("uses"),
                                     hours=fields.get("hours"),
                                     room_ids=_room_choices(fields))
        if made is not None:
            self.new_invite_link = invites.invite_link(self.router.url.origin, made.code)
        return away

    @rx.event
    def dismiss_invite_link(self):
        """The admin has copied the new link (it is not shown again)."""
        self.new_invite_link = ""

    @rx.event
    async def revoke_invite(self, invite_id: int):
        """Withdraw an invite."""
        return (await self._act(invites.revoke_invite, invite_id=invite_id))[1]

    @rx.event
    async def disable_account(self, account_id: int):
        """Disable an account: its sessions end, its devices leave their calls, and those
        calls' keys move on (as "Log out everywhere" does)."""
        account = validation.record_id(account_id) or 0
        _, away = await self._guard(end_sessions_of(
            await self._session_token(), account, admin.disable_account, account_id=account))
        if away is not None or self.admin_error:
            return away
        return await self.refresh()

    @rx.event
    async def enable_account(self, account_id: int):
        """Let a disabled account sign in again."""
        return (await self._act(admin.enable_account, account_id=account_id))[1]

    @rx.event
    async def set_admin(self, account_id: int, make_admin: bool):
        """Make an account an admin, or no longer one."""
        return (await self._act(admin.set_admin, account_id=account_id,
                                admin=make_admin))[1]
