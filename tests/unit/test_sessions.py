"""Session tokens: HS256 only, expiring after 7 days, bound to issuer, audience and secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from pydantic import SecretStr

from distokoloshe.sessions import (
    InvalidSession,
    SessionClaims,
    issue_session_token,
    verify_session_token,
)
from distokoloshe.settings import get_settings

DAY = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**changes) -> dict:
    settings = get_settings()
    now = int(datetime.now(timezone.utc).timestamp())
    claims = {"sub": "7", "ver": 0, "iat": now, "exp": now + DAY,
              "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "jti": "session-id-of-22-chars"}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _sign(claims: dict, *, algorithm: str = "HS256", secret: str | None = None) -> str:
    key = secret if secret is not None else get_settings().jwt_secret.get_secret_value()
    return jwt.encode(claims, key, algorithm=algorithm)


def test_round_trip():
    token = issue_session_token(42, 3)
    claims = verify_session_token(token)
    assert isinstance(claims, SessionClaims)
    assert (claims.user_id, claims.token_version) == (42, 3)


def test_token_is_hs256_and_names_the_user_as_a_string_subject():
    token = issue_session_token(42, 3)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "42"


def test_expiry_is_seven_days_after_issue():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
    token = issue_session_token(1, 0, now=now)
    raw = jwt.decode(token, options={"verify_signature": False})
    assert raw["iat"] == int(now.timestamp())
    assert raw["exp"] - raw["iat"] == 7 * DAY


def test_expires_at_is_reported():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    claims = verify_session_token(issue_session_token(1, 0, now=now))
    assert claims.expires_at == now + timedelta(days=7)


def test_six_day_old_token_still_works_and_eight_day_old_does_not():
    now = datetime.now(timezone.utc)
    assert verify_session_token(issue_session_token(1, 0, now=now - timedelta(days=6))).user_id == 1
    with pytest.raises(InvalidSession):
        verify_session_token(issue_session_token(1, 0, now=now - timedelta(days=8)))


def test_just_expired_token_is_rejected():
    issued = datetime.now(timezone.utc) - timedelta(days=7, seconds=5)
    with pytest.raises(InvalidSession):
        verify_session_token(issue_session_token(1, 0, now=issued))


def test_every_token_names_its_own_session():
    first, second = issue_session_token(7, 0), issue_session_token(7, 0)
    assert verify_session_token(first).session_id != verify_session_token(second).session_id
    assert len(verify_session_token(first).session_id) >= 16


def test_hand_made_hs256_token_with_all_claims_is_accepted():
    # Guards the rejections below: they fail for the one thing each changes.
    assert verify_session_token(_sign(_claims())).user_id == 7


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_other_hmac_algorithm_with_the_same_secret_is_rejected(algorithm):
    with pytest.raises(InvalidSession):
        verify_session_token(_sign(_claims(), algorithm=algorithm))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_alg_none_token_is_rejected(alg):
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    with pytest.raises(InvalidSession):
        verify_session_token(f"{header}.{payload}.")


def test_token_signed_with_another_secret_is_rejected():
    with pytest.raises(InvalidSession):
        verify_session_token(_sign(_claims(), secret="another-secret-" + "x" * 40))


def test_token_issued_under_other_settings_secret_is_rejected():
    other = get_settings().model_copy(update={"jwt_secret": SecretStr("y" * 48)})
    with pytest.raises(InvalidSession):
        verify_session_token(issue_session_token(1, 0, settings=other))


def test_wrong_audience_is_rejected():
    with pytest.raises(InvalidSession):
        verify_session_token(_sign(_claims(aud="livekit")))
    other = get_settings().model_copy(update={"jwt_audience": "some-other-app"})
    with pytest.raises(InvalidSession):
        verify_session_token(issue_session_token(1, 0, settings=other))


def test_wrong_issuer_is_rejected():
    with pytest.raises(InvalidSession):
        verify_session_token(_sign(_claims(iss="someone-else")))
    other = get_settings().model_copy(update={"jwt_issuer": "someone-else"})
    with pytest.raises(InvalidSession):
        verify_session_token(issue_session_token(1, 0, settings=other))


@pytest.mark.parametrize("missing", ["sub", "ver", "iat", "exp", "iss", "aud", "jti"])
def test_token_missing_a_claim_is_rejected(missing):
    with pytest.raises(InvalidSession):
        verify_session_token(_sign(_claims(**{missing: None})))


@pytest.mark.parametrize(
    "changes",
    [{"sub": "alice"}, {"sub": 7}, {"sub": ""}, {"ver": "0"}, {"ver": 1.5},
     {"ver": [0]}, {"exp": "tomorrow"}, {"iat": "now"}, {"jti": 5}, {"jti": "short"},
     {"jti": "x" * 33}, {"jti": ["session-id-of-22-chars"]}],
    ids=["sub-not-number", "sub-int", "sub-empty", "ver-str", "ver-float", "ver-list",
         "exp-str", "iat-str", "jti-int", "jti-short", "jti-long", "jti-list"],
)
def test_token_with_malformed_claims_is_rejected(changes):
    with pytest.raises(InvalidSession):
        verify_session_token(_sign(_claims(**changes)))


@pytest.mark.parametrize("value", [None, "", 123, b"bytes", ["a.b.c"], {"token": "x"},
                                   "not-a-jwt", "a.b.c", "a" * 5000])
def test_non_token_input_is_rejected(value):
    with pytest.raises(InvalidSession):
        verify_session_token(value)


def test_tampered_payload_is_rejected():
    token = issue_session_token(1, 0)
    header, _payload, signature = token.split(".")
    raw = jwt.decode(token, options={"verify_signature": False})
    raw["sub"] = "2"  # try to become user 2 with user 1's signature
    forged = f"{header}.{_b64(json.dumps(raw).encode())}.{signature}"
    with pytest.raises(InvalidSession):
        verify_session_token(forged)


def test_tampered_signature_is_rejected():
    token = issue_session_token(1, 0)
    head, _sep, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(InvalidSession):
        verify_session_token(f"{head}.{flipped}")


def test_no_token_is_signed_with_a_missing_secret(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "")
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="JWT_SECRET"):
        issue_session_token(1, 0)
    # A token signed with an empty key (PyJWT refuses to make one, so by hand) never passes.
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    signature = _b64(hmac.new(b"", f"{header}.{payload}".encode(), hashlib.sha256).digest())
    with pytest.raises((InvalidSession, RuntimeError)):
        verify_session_token(f"{header}.{payload}.{signature}")
