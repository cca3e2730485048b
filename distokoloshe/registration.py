"""Who may create an account: the registration mode (REGISTRATION), invites, and the first
admin.

- `open`: anyone; while the server has no admin, whoever registers becomes its admin (the
  first account of a local run);
- `invite`: only with an invite that still works;
- `closed`: nobody new, except with a first-admin invite.

An invite given is always checked, in every mode. The invite's use, the account and what
the invite grants are one transaction (the caller's), so a refused registration uses nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session

from distokoloshe import accounts, admin, invites, validation
from distokoloshe.models import User
from distokoloshe.settings import Settings, get_settings

INVITE_ONLY = ("New accounts on this server need an invite. Ask someone who runs it for an "
               "invite link.")
CLOSED = "This server is not taking new accounts."


class RegistrationClosed(validation.InvalidInput):
    """The registration mode lets nobody in without an invite (or in at all)."""


def refusal_without_invite(settings: Settings | None = None) -> str:
    """What the registration page says before anyone tries, when no invite came with it."""
    mode = (settings or get_settings()).registration
    return {"invite": INVITE_ONLY, "closed": CLOSED}.get(mode, "")


def register(*, session: Session, username: object, password: object,
             display_name: object = "", invite: object = "",
             settings: Settings | None = None, now: datetime | None = None) -> User:
    """A new account, signed in now; refused with RegistrationClosed, invites.InvalidInvite
    or what accounts.register refuses."""
    settings = settings or get_settings()
    mode = settings.registration
    now = now or datetime.now(timezone.utc)
    used = None
    if invite not in ("", None):
        used = invites.claim(session=session, code=invite, admin_only=mode == "closed",
                             settings=settings, now=now)
    elif mode != "open":
        raise RegistrationClosed(refusal_without_invite(settings))
    user = accounts.register(session=session, username=username, password=password,
                             display_name=display_name)
    if used is not None:
        invites.record_use(session=session, invite=used, user=user)
    elif not admin.any_admin(session=session):
        # Open, and nobody runs the server yet: this account does. The lock makes two
        # first registrations at once take turns, so only one of them becomes the admin.
        user = admin.hold_admins(session, user)
        user.is_admin = not admin.any_admin(session=session)
    user.last_signed_in_at = now
    session.add(user)
    session.flush()
    return user
