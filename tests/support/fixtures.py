"""Fixtures shared by the unit and integration suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.appenv import isolate_settings, reset_caches


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Fresh random secrets, no `.env`, no cached settings/limiter/hash, for every test."""
    reset_caches()
    values = isolate_settings(monkeypatch, data_dir=tmp_path / "data")
    yield values
    reset_caches()
