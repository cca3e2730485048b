"""Fixtures shared by the unit and integration suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from passlib.context import CryptContext

from distokoloshe import passwords
from tests.support.appenv import isolate_settings, reset_caches


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Fresh random secrets, no `.env`, no cached settings/limiter/hash, for every test."""
    reset_caches()
    values = isolate_settings(monkeypatch, data_dir=tmp_path / "data")
    yield values
    reset_caches()


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt at its lowest cost (4), for tests that make and check many accounts but do not
    test the hashing: tests/unit/test_passwords.py tests it at the real cost."""
    fast = CryptContext(schemes=["bcrypt_sha256"], bcrypt_sha256__rounds=4)
    monkeypatch.setattr(passwords, "_current", lambda: fast)
