"""Accounts: registration, authentication, session resolution and revocation."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from distokoloshe import passwords, sessions, validation
from distokoloshe.models import EndedSession, User


class UsernameTaken(Exception):
    pass


class DisplayNameTaken(validation.InvalidInput):
    """Another account's display name is the same, or looks the same."""


class AccountDisabled(Exception):
    """The credentials are right, but an admin has disabled the account."""


GENERIC_LOGIN_FAILURE = "Wrong username or password."
ACCOUNT_DISABLED = "An admin of this server has disabled this account."
DISPLAY_NAME_TAKEN = ("Someone already uses that display name, or one that looks like it; "
                      "choose another.")


def display_name_in_use(*, session: Session, key: str, except_user_id: int | None = None
                        ) -> bool:
    query = select(User.id).where(User.display_name_key == key)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return session.exec(query).first() is not None


def register(*, session: Session, username: object, password: object,
             display_name: object = "") -> User:
    clean_name = validation.clean_username(username)
    clean_password = validation.clean_password(password)
    shown_name = validation.clean_display_name(display_name, fallback=clean_name)
    key = validation.username_key(clean_name)
    if session.exec(select(User.id).where(User.username_key == key)).first() is not None:
        raise UsernameTaken("That username is taken.")
    # Accounts from before display-name keys may share one another's looks (their key is
    # NULL), but each such group has one member holding the key, so this check still finds it.
    name_key = validation.display_name_key(shown_name)
    if display_name_in_use(session=session, key=name_key):
        raise DisplayNameTaken(DISPLAY_NAME_TAKEN)
    user = User(username=clean_name, username_key=key, display_name=shown_name,
                display_name_key=name_key,
                password_hash=passwords.hash_password(clean_password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # lost a race with a concurrent registration
        session.rollback()
        # which one it lost on: the winner is committed, so a new transaction sees it
        if (session.exec(select(User.id).where(User.username_key == key)).first() is None
                and display_name_in_use(session=session, key=name_key)):
            raise DisplayNameTaken(DISPLAY_NAME_TAKEN) from error
        raise UsernameTaken("That username is taken.") from error
    return user


def authenticate(*, session: Session, username: object, password: object) -> User | None:
    """The user if the credentials match, else None; both failures cost one hash. A disabled
    account's right credentials raise AccountDisabled (only its owner can learn that)."""
    try:
        clean_name = validation.clean_username(username)
        clean_password = validation.clean_password_to_check(password)
    except validation.InvalidInput:
        passwords.spend_one_hash()
        return None
    user = session.exec(
        select(User).where(User.username_key == validation.username_key(clean_name))
    ).first()
    if user is None:
        passwords.spend_one_hash()
        return None
    if not passwords.verify_password(clean_password, user.password_hash):
        return None
    if user.disabled_at is not None:
        raise AccountDisabled(ACCOUNT_DISABLED)
    return user


def sign_in(*, session: Session, username: object, password: object) -> User | None:
    """authenticate(), and the admin page's "last signed in" moves to now when it succeeds."""
    user = authenticate(session=session, username=username, password=password)
    if user is not None:
        user.last_signed_in_at = datetime.now(timezone.utc)
        session.add(user)
        session.flush()
    return user


def session_token_for(user: User) -> str:
    return sessions.issue_session_token(user.id, user.token_version)


def user_for_session_token(*, session: Session, token: object) -> User | None:
    """The user a session token names, or None if it is invalid, expired or revoked, or the
    account is disabled."""
    try:
        claims = sessions.verify_session_token(token)
    except sessions.InvalidSession:
        return None
    user = session.get(User, claims.user_id)
    if (user is None or user.token_version != claims.token_version
            or user.disabled_at is not None):
        return None
    if session.get(EndedSession, claims.session_id) is not None:
        return None  # logged out
    return user


def end_session(*, session: Session, user: User, token: object) -> None:
    """Log out: the session `token` names (one of `user`'s) stops verifying for good.
    Also prunes ended sessions whose tokens have expired by now."""
    try:
        claims = sessions.verify_session_token(token)
    except sessions.InvalidSession:
        return
    if claims.user_id != user.id:
        return
    session.exec(delete(EndedSession).where(EndedSession.expires_at < datetime.now(timezone.utc)))
    if session.get(EndedSession, claims.session_id) is None:
        try:
            with session.begin_nested():  # another tab may log the same token out at once
                session.add(EndedSession(session_id=claims.session_id, user_id=user.id,
                                         expires_at=claims.expires_at))
        except IntegrityError:
            pass


def revoke_all_sessions(*, session: Session, user: User) -> None:
    user.token_version += 1
    session.add(user)
    session.flush()


def change_password(*, session: Session, user: User, current: object, new: object) -> str:
    """Set a new password and end every session of the account; returns a fresh session
    token, so the one who changed it stays signed in."""
    try:
        current_ok = passwords.verify_password(validation.clean_password_to_check(current),
                                               user.password_hash)
    except validation.InvalidInput:
        passwords.spend_one_hash()
        current_ok = False
    if not current_ok:
        raise validation.InvalidInput("Current password is wrong.")
    user.password_hash = passwords.hash_password(validation.clean_password(new))
    revoke_all_sessions(session=session, user=user)
    return session_token_for(user)


def list_display_names(*, session: Session) -> list[tuple[int, str]]:
    """Every account's id and display name, by name: the people the lobby lists."""
    rows = session.exec(select(User.id, User.display_name).order_by(User.display_name, User.id))
    return [(user_id, name) for user_id, name in rows.all()]
