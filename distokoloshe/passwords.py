"""Password hashing through the passlib API (the maintained `libpass` fork).

bcrypt_sha256 pre-hashes with SHA-256, so passwords longer than bcrypt's 72-byte
limit are neither truncated nor refused.
"""

from __future__ import annotations

import functools

from passlib.context import CryptContext

from distokoloshe.settings import get_settings


@functools.cache
def _context(rounds: int) -> CryptContext:
    return CryptContext(schemes=["bcrypt_sha256"], bcrypt_sha256__rounds=rounds)


def _current() -> CryptContext:
    return _context(get_settings().bcrypt_rounds)


def hash_password(password: str) -> str:
    return _current().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _current().verify(password, password_hash)
    except (ValueError, TypeError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only spends the same time")


def spend_one_hash() -> None:
    """Costs what a real verification costs, so unknown usernames are not faster."""
    verify_password("wrong password", _dummy_hash())
