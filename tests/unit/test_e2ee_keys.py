"""Room keys: derived, not stored; one per room and epoch; useless without E2EE_SECRET."""

from __future__ import annotations

import base64

import pytest

from distokoloshe import e2ee
from distokoloshe.settings import Settings


def _settings(secret: str) -> Settings:
    return Settings(_env_file=None, e2ee_secret=secret, jwt_secret="j" * 40)


def test_key_is_stable_and_differs_per_room_epoch_and_secret():
    settings = _settings("s" * 40)
    key = e2ee.room_key(7, 0, settings=settings)
    assert key == e2ee.room_key(7, 0, settings=settings)
    assert len(base64.urlsafe_b64decode(key + "=")) == e2ee.KEY_BYTES
    others = {e2ee.room_key(8, 0, settings=settings), e2ee.room_key(7, 1, settings=settings),
              e2ee.room_key(7, 0, settings=_settings("t" * 40))}
    assert key not in others and len(others) == 3


def test_key_never_equals_or_contains_the_secret():
    secret = "a-very-secret-value-that-must-not-leak-0123456789"
    key = e2ee.room_key(1, settings=_settings(secret))
    assert secret not in key and key not in secret


def test_missing_or_short_secret_is_refused():
    with pytest.raises(RuntimeError):
        e2ee.room_key(1, settings=_settings(""))
    with pytest.raises(RuntimeError):
        e2ee.room_key(1, settings=_settings("short"))
