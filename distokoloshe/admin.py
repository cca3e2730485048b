"""Running the server: the admins, and what only they may do to accounts and rooms.

Every function here takes the verified user who asks and checks that they are an admin, in
the same transaction as the change. Who is an admin or disabled changes only while holding
`hold_admins`, so two admins acting at once can never leave the server without an active
admin (each counts after the other has finished).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import func, text, update
from sqlmodel import Session, select

from distokoloshe import calls, validation
from distokoloshe.models import Room, RoomMember, User


class NotAdmin(Exception):
    """Only an admin of this server may do that."""


class LastAdmin(Exception):
    """The change would leave the server without an active admin."""


class UnknownAccount(Exception):
    pass


NOT_ADMIN = "Only an admin of this server can do that."
LAST_ADMIN = "The server always needs an admin: make someone else an admin first."
# the name of the (PostgreSQL advisory) lock on who is an admin: any 63-bit number
_ADMINS_LOCK = 0x6474_6B61_646D_696E  # "dtkadmin"


@dataclasses.dataclass(frozen=True)
class Account:
    """One account as the admin page lists it."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    disabled: bool
    last_signed_in_at: datetime | None


@dataclasses.dataclass(frozen=True)
class RoomListing:
    """One room as the admin page lists it (private ones too: admins run the server)."""

    id: int
    name: str
    owner_name: str
    private: bool
    members: int


def hold_admins(session: Session, user: User) -> User:
    """Until the transaction ends, nobody else changes who is an admin or disabled: an
    advisory lock on PostgreSQL; on SQLite the database's one write lock, which any write
    takes (this one changes nothing: `user` keeps its own values). Returns `user` read
    again, so what follows sees who they are now."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADMINS_LOCK})
    else:
        users = User.__table__
        connection.execute(update(users).where(users.c.id == user.id)
                           .values(is_admin=users.c.is_admin))
    return session.get(User, user.id, populate_existing=True)


def is_active_admin(user: User) -> bool:
    return user.is_admin and user.disabled_at is None


def require_admin(user: User) -> None:
    if not is_active_admin(user):
        raise NotAdmin(NOT_ADMIN)


def active_admins(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(
        User.is_admin == True, User.disabled_at == None)).one()  # noqa: E711, E712


def any_admin(*, session: Session) -> bool:
    return session.exec(select(User.id).where(User.is_admin == True)  # noqa: E712
                        ).first() is not None


def _acting_admin(session: Session, user: User) -> None:
    require_admin(hold_admins(session, user))


def _account(session: Session, account_id: object) -> User:
    account_id = validation.record_id(account_id)
    account = session.get(User, account_id) if account_id is not None else None
    if account is None:
        raise UnknownAccount("That account does not exist.")
    return account


def list_accounts(*, session: Session, user: User) -> list[Account]:
    require_admin(user)
    rows = session.exec(select(User).order_by(User.display_name, User.id)).all()
    return [Account(u.id, u.username, u.display_name, u.is_admin, u.disabled_at is not None,
                    u.last_signed_in_at) for u in rows]


def list_rooms(*, session: Session, user: User) -> list[RoomListing]:
    require_admin(user)
    members = (select(RoomMember.room_id, func.count().label("members"))
               .group_by(RoomMember.room_id).subquery())
    rows = session.exec(
        select(Room, User.display_name, members.c.members)
        .join(User, User.id == Room.owner_id)
        .outerjoin(members, members.c.room_id == Room.id)
        .order_by(Room.name_key)).all()
    return [RoomListing(room.id, room.name, owner_name, room.private, count or 0)
            for room, owner_name, count in rows]


def disable_account(*, session: Session, user: User, account_id: object,
                    livekit_rooms: Iterable[str]) -> list[tuple[int, int]]:
    """The admin disables an account: it can no longer sign in, every session of it ends and
    the key of each call it is in (`livekit_rooms`, as presence knows them) moves on, as
    "Log out everywhere" does. Returns (room id, new key epoch) of those calls, for putting
    its devices out of them."""
    _acting_admin(session, user)
    account = _account(session, account_id)
    if account.id == user.id:
        raise LastAdmin("You cannot disable your own account; another admin can.")
    if is_active_admin(account) and active_admins(session=session) <= 1:
        raise LastAdmin(LAST_ADMIN)
    if account.disabled_at is None:
        account.disabled_at = datetime.now(timezone.utc)
        session.add(account)
    return calls.sign_out_everywhere(session=session, user=account, livekit_rooms=livekit_rooms)


def enable_account(*, session: Session, user: User, account_id: object) -> None:
    """The account may sign in again (its old sessions stay ended)."""
    _acting_admin(session, user)
    account = _account(session, account_id)
    account.disabled_at = None
    session.add(account)
    session.flush()


def set_admin(*, session: Session, user: User, account_id: object, admin: object) -> None:
    """Make an account an admin, or no longer one; never the server's last active admin."""
    _acting_admin(session, user)
    account = _account(session, account_id)
    make = admin is True
    if not make and is_active_admin(account) and active_admins(session=session) <= 1:
        raise LastAdmin(LAST_ADMIN)
    account.is_admin = make
    session.add(account)
    session.flush()
