"""One settings object for the whole backend, read from the environment and `.env`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from distokoloshe.extension_spec import listed

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that ship in examples or LiveKit's --dev mode; never acceptable in production.
PLACEHOLDER_SECRETS = frozenset(
    {"", "secret", "devkey", "changeme", "change-me", "please-change", "placeholder", "xxx"}
)
SECRET_NAMES = ("jwt_secret", "e2ee_secret", "livekit_api_key", "livekit_api_secret")
MIN_SECRET_LENGTH = {"jwt_secret": 32, "e2ee_secret": 32, "livekit_api_secret": 32}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore",
        # Validation errors would otherwise print the input, secrets included, into logs.
        hide_input_in_errors=True,
    )

    app_env: Literal["dev", "prod"] = "dev"
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str = ""
    # Reflex reads the same variable for its state manager; when set, rate limits
    # (and later presence) move to Redis too so several workers agree.
    reflex_redis_url: str = ""

    jwt_secret: SecretStr = SecretStr("")
    e2ee_secret: SecretStr = SecretStr("")
    livekit_api_key: SecretStr = SecretStr("")
    livekit_api_secret: SecretStr = SecretStr("")
    # What browsers connect to; behind nginx this is the public wss:// URL.
    livekit_url: str = "ws://127.0.0.1:7880"
    # What the backend calls for room administration; defaults to livekit_url over http.
    livekit_api_url: str = ""

    session_days: int = Field(default=7, ge=1, le=90)
    jwt_issuer: str = "distokoloshe"
    jwt_audience: str = "distokoloshe-app"
    bcrypt_rounds: int = Field(default=12, ge=12, le=16)

    # Who may create an account: anyone (the local default), only someone holding an invite
    # (what deploy/init.sh writes for production), or nobody new. A first-admin link works
    # in every mode.
    registration: Literal["open", "invite", "closed"] = "open"
    # The first-admin link deploy/init.sh printed: the SHA-256 (hex) of its code, and until
    # when it works (Unix seconds). It works once, and only while the server has no admin.
    first_admin_invite: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    first_admin_invite_until: int = Field(default=0, ge=0)

    # `limits` notation; defaults are the product's policy.
    login_rate_limit: str = "20/15 minutes"
    register_rate_limit: str = "5/hour"
    # Rooms one account may create: so many in a window, and so many at all. Every new room
    # is pushed to every open lobby, so an unlimited creator would flood them all.
    room_create_rate_limit: str = "10/minute"
    max_rooms_per_user: int = Field(default=20, ge=1)
    # Chat messages one account may send, in every one of these windows (";" between them).
    chat_rate_limits: str = "5/10 seconds; 30/minute"
    # Connection checks per client address: each one mints a two-minute LiveKit token for
    # a throwaway room, without an account.
    connection_check_rate_limit: str = "10/hour"
    # Events one websocket may send: a burst, then so many a second. A browser sends a
    # handful a second at most; a socket that floods loses its excess events, and its
    # connection once it has had another full burst refused.
    events_per_second: float = Field(default=50.0, gt=0)
    event_burst: int = Field(default=200, ge=1)
    # Lobby connections (tabs); across all workers when presence lives in Redis.
    max_connections: int = Field(default=500, ge=1)
    max_connections_per_user: int = Field(default=3, ge=1)
    # The backend serves the static build in .web/build/client itself (`./tokoloshe up`
    # sets this; behind nginx, nginx serves the export and this stays off).
    serve_frontend_build: bool = False
    # The extensions to run, by name ("soundboard, polls"); anything else installed is never
    # loaded (distokoloshe/extension_registry.py, docs/extending.md).
    extensions: str = ""

    @field_validator("login_rate_limit", "register_rate_limit", "room_create_rate_limit",
                     "connection_check_rate_limit")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError as error:
            raise ValueError("not a rate limit such as \"10/minute\"") from error
        return value

    @field_validator("extensions")
    @classmethod
    def _extension_names(cls, value: str) -> str:
        listed(value)  # raises ExtensionError (a ValueError) for a malformed name
        return value

    @field_validator("chat_rate_limits")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        for policy in value.split(";"):
            cls._a_rate_limit(policy.strip())
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Settings:
        if self.app_env != "prod":
            return self
        problems = []
        for name in SECRET_NAMES:
            value = getattr(self, name).get_secret_value()
            if value.strip().lower() in PLACEHOLDER_SECRETS:
                problems.append(f"{name.upper()} is missing or a placeholder")
            elif len(value) < MIN_SECRET_LENGTH.get(name, 8):
                problems.append(f"{name.upper()} is too short")
        if self.jwt_secret.get_secret_value() and (
            self.jwt_secret.get_secret_value() == self.e2ee_secret.get_secret_value()
        ):
            problems.append("E2EE_SECRET must differ from JWT_SECRET")
        if problems:
            raise ValueError(
                "Refusing to start in production: " + "; ".join(problems)
                + ". Run deploy/init.sh to generate a .env."
            )
        return self

    @property
    def effective_livekit_api_url(self) -> str:
        if self.livekit_api_url:
            return self.livekit_api_url
        return self.livekit_url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'distokoloshe.db'}"

    def require_jwt_secret(self) -> bytes:
        secret = self.jwt_secret.get_secret_value()
        if len(secret) < 32:
            raise RuntimeError("JWT_SECRET must be set to at least 32 characters (see .env).")
        return secret.encode()


@functools.cache
def get_settings() -> Settings:
    return Settings()
