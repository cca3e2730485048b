"""Invites: links that let someone register, and may make them a member of private rooms.

A code is 192 random bits and only its SHA-256 is stored, so a copy of the database holds
no usable invite. Every way an invite can fail (unknown, expired, used up, withdrawn) gives
the same message, so a guess learns nothing but "no". A use is counted by one conditional
update, so registrations at the same moment never use an invite more often than it allows.

The first admin of a new install registers with a first-admin invite: made by
`python -m distokoloshe.first_admin` (`./tokoloshe first-admin`), or planted on its first
use from the hash deploy/init.sh wrote into `.env` (FIRST_ADMIN_INVITE), while the server
has no admin yet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from distokoloshe import admin, rooms, routes, validation
from distokoloshe.models import Invite, InviteRoom, InviteUse, Room, RoomMember, User
from distokoloshe.settings import Settings, get_settings

CODE_BYTES = 24                       # 192 bits
_CODE = re.compile(r"[A-Za-z0-9_-]{16,86}")
HOURS_MIN, HOURS_MAX = 1, 30 * 24
USES_MAX = 100
ROOMS_MAX = 50
FIRST_ADMIN_HOURS = 24
LISTED_MAX = 200
INVALID_INVITE = ("This invite does not work: it may have expired, been used up or been "
                  "withdrawn. Ask whoever sent it for a new one.")


class InvalidInvite(validation.InvalidInput):
    """Unknown, expired, used up or withdrawn: one refusal for all."""


class UnknownInvite(Exception):
    pass


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def invite_link(origin: str, code: str) -> str:
    """The link to send: the registration page with the code."""
    return f"{origin.rstrip('/')}{routes.REGISTER}?invite={code}"


@dataclasses.dataclass(frozen=True)
class NewInvite:
    """An invite just made: the only time its code exists outside the link."""

    id: int
    code: str
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class InviteUseView:
    name: str
    used_at: datetime


@dataclasses.dataclass(frozen=True)
class InviteSummary:
    """One invite as the admin page lists it (never its code)."""

    id: int
    created_at: datetime
    created_by: str
    expires_at: datetime
    max_uses: int
    uses: int
    revoked: bool
    makes_admin: bool
    room_names: tuple[str, ...]
    used_by: tuple[InviteUseView, ...]

    def status(self, now: datetime) -> str:
        if self.revoked:
            return "withdrawn"
        if self.expires_at <= now:
            return "expired"
        return "used up" if self.uses >= self.max_uses else "active"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _whole(value: object, low: int, high: int, what: str) -> int:
    if isinstance(value, str):
        value = validation.number_in(value.strip(), 6)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise validation.InvalidInput(f"{what} must be a whole number from {low} to {high}.")
    return value


def _private_rooms(session: Session, room_ids: object) -> list[Room]:
    if room_ids is None:
        room_ids = []
    if not isinstance(room_ids, list | tuple) or len(room_ids) > ROOMS_MAX:
        raise validation.InvalidInput("Choose the rooms from the list.")
    chosen: dict[int, Room] = {}
    for room_id in room_ids:
        try:
            room = rooms.get_room(session=session, room_id=validation.record_id(room_id))
        except rooms.RoomNotFound as error:
            raise validation.InvalidInput("One of those rooms does not exist any more.") \
                from error
        if not room.private:
            raise validation.InvalidInput("An invite can only grant private rooms.")
        chosen[room.id] = room
    return list(chosen.values())


def create_invite(*, session: Session, user: User, uses: object, hours: object,
                  room_ids: object = (), now: datetime | None = None) -> NewInvite:
    """An admin's invite for `uses` registrations within `hours` (1 hour to 30 days), which
    makes whoever registers with it a member of the private rooms `room_ids`."""
    admin.require_admin(user)
    max_uses = _whole(uses, 1, USES_MAX, "The number of uses")
    lifetime = _whole(hours, HOURS_MIN, HOURS_MAX, "The hours an invite lasts")
    granted = _private_rooms(session, room_ids)
    code = new_code()
    invite = Invite(code_hash=code_hash(code), created_by=user.id, max_uses=max_uses,
                    expires_at=_now(now) + timedelta(hours=lifetime))
    session.add(invite)
    session.flush()
    for room in granted:
        session.add(InviteRoom(invite_id=invite.id, room_id=room.id))
    session.flush()
    return NewInvite(invite.id, code, invite.expires_at)


def create_first_admin_invite(*, session: Session, now: datetime | None = None) -> NewInvite:
    """A one-time invite that registers an admin within FIRST_ADMIN_HOURS, in every
    registration mode: for whoever runs the server (it takes a shell on it)."""
    code = new_code()
    invite = Invite(code_hash=code_hash(code), max_uses=1, makes_admin=True,
                    expires_at=_now(now) + timedelta(hours=FIRST_ADMIN_HOURS))
    session.add(invite)
    session.flush()
    return NewInvite(invite.id, code, invite.expires_at)


def _planted(session: Session, digest: str, settings: Settings, now: datetime) -> Invite | None:
    """The first-admin invite deploy/init.sh printed, stored now (its first use), if `digest`
    is its hash, it has not expired and the server has no admin yet."""
    planted = settings.first_admin_invite
    until = datetime.fromtimestamp(settings.first_admin_invite_until, timezone.utc)
    if (not planted or not hmac.compare_digest(planted, digest) or until <= now
            or admin.any_admin(session=session)):
        return None
    try:
        with session.begin_nested():  # another registration may plant it at the same time
            session.add(Invite(code_hash=digest, max_uses=1, makes_admin=True,
                               expires_at=until))
    except IntegrityError:
        pass
    return session.exec(select(Invite).where(Invite.code_hash == digest)).first()


def _find(session: Session, code: object, settings: Settings, now: datetime) -> Invite | None:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return None
    digest = code_hash(code)
    invite = session.exec(select(Invite).where(Invite.code_hash == digest)).first()
    if invite is None:
        invite = _planted(session, digest, settings, now)
    if invite is None or not hmac.compare_digest(invite.code_hash, digest):
        return None
    return invite


def claim(*, session: Session, code: object, admin_only: bool = False,
          settings: Settings | None = None, now: datetime | None = None) -> Invite:
    """Counts one use of the invite `code` names, if it has one left: not withdrawn, not
    expired, not used up (and, with `admin_only`, a first-admin invite). Raises InvalidInvite
    otherwise, the same for every reason."""
    now = _now(now)
    invite = _find(session, code, settings or get_settings(), now)
    if invite is None:
        raise InvalidInvite(INVALID_INVITE)
    table = Invite.__table__
    conditions = [table.c.id == invite.id, table.c.uses < table.c.max_uses,
                  table.c.revoked_at.is_(None), table.c.expires_at > now]
    if admin_only:
        conditions.append(table.c.makes_admin.is_(True))
    # One statement decides and counts: on PostgreSQL a concurrent use waits for this row
    # and then sees the new count; SQLite runs one writer at a time.
    counted = session.connection().execute(
        update(table).where(*conditions).values(uses=table.c.uses + 1))
    if counted.rowcount != 1:
        raise InvalidInvite(INVALID_INVITE)
    session.refresh(invite)
    return invite


def record_use(*, session: Session, invite: Invite, user: User) -> None:
    """`user` registered with `invite`: remember who, and grant what the invite grants."""
    session.add(InviteUse(invite_id=invite.id, user_id=user.id))
    for room_id in session.exec(select(InviteRoom.room_id)
                                .where(InviteRoom.invite_id == invite.id)).all():
        session.add(RoomMember(room_id=room_id, user_id=user.id))
    if invite.makes_admin:
        user.is_admin = True
        session.add(user)
    session.flush()


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def list_invites(*, session: Session, user: User) -> list[InviteSummary]:
    """The newest invites, with who used each and the rooms it grants (never a code)."""
    admin.require_admin(user)
    found = session.exec(select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc())
                         .limit(LISTED_MAX)).all()
    ids = [invite.id for invite in found]
    uses: dict[int, list[tuple[int, datetime]]] = {}
    for use in session.exec(select(InviteUse).where(InviteUse.invite_id.in_(ids))
                            .order_by(InviteUse.used_at)).all():
        uses.setdefault(use.invite_id, []).append((use.user_id, use.used_at))
    granted: dict[int, list[str]] = {}
    for invite_id, name in session.exec(
            select(InviteRoom.invite_id, Room.name).join(Room, Room.id == InviteRoom.room_id)
            .where(InviteRoom.invite_id.in_(ids)).order_by(Room.name_key)).all():
        granted.setdefault(invite_id, []).append(name)
    names = _names(session, [*(i.created_by for i in found if i.created_by),
                             *(uid for used in uses.values() for uid, _ in used)])
    return [InviteSummary(
        invite.id, invite.created_at, names.get(invite.created_by or 0, ""), invite.expires_at,
        invite.max_uses, invite.uses, invite.revoked_at is not None, invite.makes_admin,
        tuple(granted.get(invite.id, ())),
        tuple(InviteUseView(names.get(uid, ""), at) for uid, at in uses.get(invite.id, ())))
        for invite in found]


def revoke_invite(*, session: Session, user: User, invite_id: object,
                  now: datetime | None = None) -> None:
    """Withdraw an invite: from now on it is refused like an unknown one."""
    admin.require_admin(user)
    invite_id = validation.record_id(invite_id)
    invite = session.get(Invite, invite_id) if invite_id is not None else None
    if invite is None:
        raise UnknownInvite("That invite does not exist.")
    if invite.revoked_at is None:
        invite.revoked_at = _now(now)
        session.add(invite)
        session.flush()
