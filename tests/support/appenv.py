"""Run distokoloshe's domain code against a known environment, not the developer's `.env`.

No pytest import: `isolate_settings` takes anything with pytest's monkeypatch interface
(setenv, delenv, setitem), so conftests, e2e suites and benchmarks can all use it.
"""

from __future__ import annotations

import os
import secrets
import string
import sys
from pathlib import Path
from typing import Any

from distokoloshe.settings import Settings

_ALPHABET = string.ascii_letters + string.digits


def random_secret(length: int = 48) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def reset_caches() -> None:
    """Forget every functools.cache in the already imported distokoloshe modules.

    Settings, the password context, the dummy hash, the rate limiter and the engine are all
    cached per process; a test that changes the environment must start from none of them.
    """
    db = sys.modules.get("distokoloshe.db")
    if db is not None and db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "distokoloshe" or name.startswith("distokoloshe.")):
            continue
        for value in list(vars(module).values()):
            if (callable(getattr(value, "cache_clear", None))
                    and getattr(value, "__module__", None) == name):
                value.cache_clear()


def isolate_settings(monkeypatch: Any, *, data_dir: Path, **overrides: str) -> dict[str, str]:
    """Point Settings at fresh random secrets and no `.env`; returns the variables set.

    Every environment variable that names a Settings field is removed first (pydantic-settings
    matches names case-insensitively), so nothing leaks in from the caller's shell either.
    """
    from distokoloshe.settings import Settings

    fields = set(Settings.model_fields)
    for key in list(os.environ):
        if key.lower() in fields:
            monkeypatch.delenv(key)
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    values = {
        "APP_ENV": "dev",
        "DATA_DIR": str(data_dir),
        "JWT_SECRET": random_secret(),
        "E2EE_SECRET": random_secret(),
        "LIVEKIT_API_KEY": "API" + random_secret(12),
        "LIVEKIT_API_SECRET": random_secret(),
        **overrides,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def settings_of(env: dict[str, str]) -> Settings:
    """The settings the app process runs with (its secrets), for minting and checking."""
    return Settings(_env_file=None, jwt_secret=env["JWT_SECRET"], e2ee_secret=env["E2EE_SECRET"],
                    livekit_api_key=env["LIVEKIT_API_KEY"],
                    livekit_api_secret=env["LIVEKIT_API_SECRET"],
                    livekit_url=env.get("LIVEKIT_URL", "ws://127.0.0.1:7880"))
