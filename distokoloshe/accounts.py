"""Accounts: registration, authentication, session resolution and revocation."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from distokoloshe import passwords, sessions, validation
from distokoloshe.models import User


class UsernameTaken(Exception):
    pass


GENERIC_LOGIN_FAILURE = "Wrong username or password."


def register(*, session: Session, username: object, password: object,
             display_name: object = "") -> User:
    clean_name = validation.clean_username(username)
    clean_password = validation.clean_password(password)
    shown_name = validation.clean_display_name(display_name, fallback=clean_name)
    key = validation.username_key(clean_name)
    if session.exec(select(User.id).where(User.username_key == key)).first() is not None:
        raise UsernameTaken("That username is taken.")
    user = User(username=clean_name, username_key=key, display_name=shown_name,
                password_hash=passwords.hash_password(clean_password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # lost a race with a concurrent registration
        session.rollback()
        raise UsernameTaken("That username is taken.") from error
    return user


def authenticate(*, session: Session, username: object, password: object) -> User | None:
    """The user if the credentials match, else None; both failures cost one hash."""
    try:
        clean_name = validation.clean_username(username)
        clean_password = validation.clean_password(password)
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
    return user


def session_token_for(user: User) -> str:
    return sessions.issue_session_token(user.id, user.token_version)


def user_for_session_token(*, session: Session, token: object) -> User | None:
    """The user a session token names, or None if it is invalid, expired or revoked."""
    try:
        claims = sessions.verify_session_token(token)
    except sessions.InvalidSession:
        return None
    user = session.get(User, claims.user_id)
    if user is None or user.token_version != claims.token_version:
        return None
    return user


def revoke_all_sessions(*, session: Session, user: User) -> None:
    user.token_version += 1
    session.add(user)
    session.flush()


def change_password(*, session: Session, user: User, current: object, new: object) -> None:
    if not passwords.verify_password(validation.clean_password(current), user.password_hash):
        raise validation.InvalidInput("Current password is wrong.")
    user.password_hash = passwords.hash_password(validation.clean_password(new))
    revoke_all_sessions(session=session, user=user)


def list_display_names(*, session: Session) -> list[tuple[int, str]]:
    """Every account's id and display name, by name: the people the lobby lists."""
    rows = session.exec(select(User.id, User.display_name).order_by(User.display_name, User.id))
    return [(user_id, name) for user_id, name in rows.all()]
