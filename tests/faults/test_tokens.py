"""Bad session tokens are refused by the running app, through the websocket: the token a tab
keeps in localStorage reaches the backend in hydrate's storage vars, so a hand-written
client can put anything there. And forged LiveKit webhooks do not move presence.

(tests/unit/test_sessions.py covers token verification itself; this is the app end to end.)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from datetime import datetime, timedelta, timezone

import httpx
import jwt
from livekit import api
from sqlmodel import select

from distokoloshe import livekit_tokens, sessions
from distokoloshe.livekit_tokens import SESSION_VERSION_ATTRIBUTE
from distokoloshe.models import Room
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState
from tests.support.appenv import settings_of

SESSION, ROOMS, PRESENCE = (SessionState.get_full_name(), RoomsState.get_full_name(),
                            PresenceState.get_full_name())
WEBHOOK = "/api/livekit/webhook"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(stack, user, **changes) -> dict:
    now = int(time.time())
    claims = {"sub": str(user.id), "ver": 0, "iat": now, "exp": now + 3600,
              "iss": stack.settings.jwt_issuer, "aud": stack.settings.jwt_audience}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def signed(stack, claims: dict, *, secret: str | None = None, algorithm: str = "HS256") -> str:
    key = secret if secret is not None else stack.settings.jwt_secret.get_secret_value()
    return jwt.encode(claims, key, algorithm=algorithm)


def bad_tokens(stack, user, other) -> dict[str, str]:
    good = stack.token(user)
    header, payload, signature = good.split(".")
    now = int(time.time())
    stolen_claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    stolen_claims["sub"] = str(other.id)
    another_app = settings_of({"JWT_SECRET": secrets.token_urlsafe(48),
                               "E2EE_SECRET": secrets.token_urlsafe(48),
                               "LIVEKIT_API_KEY": "x", "LIVEKIT_API_SECRET": "y"})
    return {
        "forged: another secret": signed(stack, claims_for(stack, user),
                                         secret=secrets.token_urlsafe(48)),
        "forged: another user's id, signature kept": ".".join(
            (header, _b64(json.dumps(stolen_claims).encode()), signature)),
        "alg none": ".".join((_b64(b'{"alg":"none","typ":"JWT"}'),
                              _b64(json.dumps(claims_for(stack, user)).encode()), "")),
        "alg HS512 with the real secret": signed(stack, claims_for(stack, user),
                                                 algorithm="HS512"),
        "expired": signed(stack, claims_for(stack, user, iat=now - 7200, exp=now - 3600)),
        "wrong audience": signed(stack, claims_for(stack, user, aud="someone-else")),
        "wrong issuer": signed(stack, claims_for(stack, user, iss="someone-else")),
        "no expiry": signed(stack, claims_for(stack, user, exp=None)),
        "version not a number": signed(stack, claims_for(stack, user, ver="0")),
        "subject not a number": signed(stack, claims_for(stack, user, sub="1 OR 1=1")),
        "another app's token": sessions.issue_session_token(user.id, 0, settings=another_app),
        "a LiveKit join token": api.AccessToken(
            stack.settings.livekit_api_key.get_secret_value(),
            stack.settings.livekit_api_secret.get_secret_value()).with_identity(
            str(user.id)).with_grants(api.VideoGrants(room_join=True, room="room-1")).to_jwt(),
        "garbage": "x" * 3000,
    }


async def sent_to_login(client) -> None:
    """Fire the lobby's sign-in check and wait for its answer: off to the login page."""
    start = len(client.updates)
    await client.send(f"{SESSION}.require_signed_in", {})
    await client.wait_for(lambda: any(
        event.get("name") == "_redirect" and (event.get("payload") or {}).get("path") == "/login"
        for _, update in client.updates[start:] for event in (update.get("events") or [])), 10)


async def assert_refused(stack, token: str, room_name: str) -> None:
    """A lobby tab with this token is sent to the login page and can do nothing as anyone."""
    client = await stack.client(token=token).connect()
    try:
        await client.wait_for(lambda: client.value("reflex___state____state", "is_hydrated"), 20)
        assert not client.value(SESSION, "username")
        assert not client.value(SESSION, "signed_in", False)
        assert any('"_redirect"' in text and '"/login"' in text for text in client.texts)
        await client.send(f"{ROOMS}.create_room", {"form_data": {"room_name": room_name}})
        await sent_to_login(client)  # processed after create_room: a barrier
        with stack.db() as session:
            assert session.exec(select(Room).where(Room.name == room_name)).first() is None
        assert not (client.value(PRESENCE, "online") or [])
    finally:
        await client.close()


async def test_forged_expired_and_misaddressed_session_tokens_are_refused(stack):
    user, other = stack.user("Token owner"), stack.user("Someone else")
    refused = 0
    for kind, token in bad_tokens(stack, user, other).items():
        try:
            await assert_refused(stack, token, f"Made with {kind} {secrets.token_hex(2)}")
        except AssertionError as error:
            raise AssertionError(f"{kind} was accepted") from error
        refused += 1
    # the control: the genuine token works, so the checks above can tell
    client = await stack.signed_in(user)
    assert client.value(SESSION, "username") == user.username
    await client.close()
    print(f"\nsession tokens: {refused} kinds of bad token refused over the websocket")


async def test_log_out_everywhere_revokes_tokens_issued_before_it(stack):
    user = stack.user("Careful")
    old_token = stack.token(user)
    first = await stack.signed_in(user)
    second = await stack.client(token=old_token).connect()   # another browser, same token
    await second.wait_for(lambda: second.value(SESSION, "username") == user.username, 20)
    await first.send(f"{SESSION}.sign_out_everywhere", {})
    await first.wait_for(lambda: any('"/login"' in text for text in first.texts[-3:]), 20)
    await first.close()
    # the old token no longer signs anyone in, on a new tab or on the open one
    await assert_refused(stack, old_token, f"After logout {secrets.token_hex(2)}")
    await sent_to_login(second)
    assert not second.value(SESSION, "username")
    assert second.value(SESSION, "session_token") == ""  # the browser's copy is dropped too
    await second.close()
    # while a token issued after it does
    fresh = await stack.signed_in(user)
    assert fresh.value(SESSION, "username") == user.username
    await fresh.close()


def _webhook(stack, body: bytes, *, key=None, secret=None, **claims) -> httpx.Response:
    key = key or stack.settings.livekit_api_key.get_secret_value()
    secret = secret or stack.settings.livekit_api_secret.get_secret_value()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    now = int(time.time())
    payload = {"iss": key, "nbf": now - 10, "exp": now + 600, "sha256": digest, **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    algorithm = claims.pop("_alg", "HS256") if "_alg" in claims else "HS256"
    token = jwt.encode(payload, secret, algorithm=algorithm)
    return httpx.post(f"http://127.0.0.1:{stack.port}{WEBHOOK}", content=body, timeout=10,
                      headers={"Content-Type": "application/webhook+json",
                               "Authorization": token})


async def test_forged_webhooks_do_not_move_presence(stack):
    """Someone who can reach the webhook URL but lacks LiveKit's secret cannot make anyone
    appear in (or vanish from) a call in everyone's lobby."""
    watcher = await stack.signed_in(stack.user("Watcher"))
    name = f"Hooked {secrets.token_hex(2)}"
    await watcher.send(f"{ROOMS}.create_room", {"form_data": {"room_name": name}})
    await watcher.wait_for(lambda: any(r["name"] == name
                                       for r in watcher.value(PRESENCE, "rooms") or []), 10)
    with stack.db() as session:
        room = session.exec(select(Room).where(Room.name == name)).one()
    owner = stack.user("Ghost")
    livekit_room = livekit_tokens.livekit_room_name(room.id)
    body = json.dumps({"event": "participant_joined", "id": "EV_forged",
                       "createdAt": int(time.time()), "room": {"name": livekit_room},
                       # what a participant who joined with our join token carries
                       "participant": {"identity": str(owner.id), "name": "Ghost",
                                       "sid": "PA_ghost",
                                       "attributes": {SESSION_VERSION_ATTRIBUTE: "0"}}}).encode()
    now = datetime.now(timezone.utc)
    forged = {
        "another secret": _webhook(stack, body, secret=secrets.token_urlsafe(36)),
        "another key": _webhook(stack, body, key="APIsomeoneelse"),
        "expired": _webhook(stack, body, nbf=int((now - timedelta(hours=2)).timestamp()),
                            exp=int((now - timedelta(hours=1)).timestamp())),
        "no expiry": _webhook(stack, body, exp=None),
        "no body hash": _webhook(stack, body, sha256=None),
        "alg none": httpx.post(
            f"http://127.0.0.1:{stack.port}{WEBHOOK}", content=body, timeout=10,
            headers={"Authorization": ".".join((
                _b64(b'{"alg":"none","typ":"JWT"}'),
                _b64(json.dumps({"iss": stack.settings.livekit_api_key.get_secret_value(),
                                 "exp": int(time.time()) + 600,
                                 "sha256": base64.b64encode(hashlib.sha256(body).digest())
                                 .decode()}).encode()), ""))}),
    }
    for kind, response in forged.items():
        assert response.status_code == 401, kind

    def members() -> list:
        return [m["name"] for m in watcher.call_of(PRESENCE, room.id)]

    await asyncio.sleep(0.5)  # ten times presence's batch window: a change would be here
    assert members() == []
    # the control: the same event, genuinely signed, does show up
    assert _webhook(stack, body).status_code == 200
    await watcher.wait_for(lambda: members() == ["Ghost"], 10)
    await watcher.close()
    print(f"\nwebhooks: {len(forged)} kinds of forged webhook refused with 401, presence unmoved")
