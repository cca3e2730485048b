"""Session tokens: HS256 JWTs that name a user, that user's token version and a random session
id (`jti`), by which log-out ends that one token (see accounts.end_session)."""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import datetime, timedelta, timezone

import jwt

from distokoloshe.settings import Settings, get_settings

ALGORITHM = "HS256"
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")


@dataclasses.dataclass(frozen=True)
class SessionClaims:
    user_id: int
    token_version: int
    expires_at: datetime
    session_id: str


class InvalidSession(Exception):
    """The token is missing, forged, expired or otherwise unusable."""


def issue_session_token(
    user_id: int, token_version: int, *, settings: Settings | None = None,
    now: datetime | None = None,
) -> str:
    settings = settings or get_settings()
    now = now or datetime.now(timezone.utc)
    claims = {
        "sub": str(user_id),
        "ver": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(days=settings.session_days)).timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, settings.require_jwt_secret(), algorithm=ALGORITHM)


def verify_session_token(token: object, *, settings: Settings | None = None) -> SessionClaims:
    settings = settings or get_settings()
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise InvalidSession("no session")
    try:
        claims = jwt.decode(
            token,
            settings.require_jwt_secret(),
            algorithms=[ALGORITHM],  # never trust the token's own "alg"
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
        user_id = int(claims["sub"])
        version = claims.get("ver")
        session_id = claims.get("jti")
        if (not isinstance(version, int) or not isinstance(session_id, str)
                or not _SESSION_ID.fullmatch(session_id)):
            raise InvalidSession("malformed session")
        # an expiry past year 9999 passes PyJWT but is no datetime
        expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError) as error:
        raise InvalidSession(str(error)) from error
    return SessionClaims(user_id=user_id, token_version=version, expires_at=expires_at,
                         session_id=session_id)
