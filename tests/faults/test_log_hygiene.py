"""What hostile clients send does not reach the logs as sent: not the app's (an unknown event
carrying tokens or an invite code, frontend exception reports with newlines, ANSI escapes and
a megabyte of text), and not LiveKit's (tokens it rejects)."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import jwt
from reflex.state import FrontendEventExceptionState

from distokoloshe import invites
from distokoloshe.log_hygiene import LINE_CAP
from distokoloshe.models import User
from distokoloshe.state.auth import AuthFormState
from distokoloshe.state.call import CallState
from tests.support.reflex_client import ROOT_STATE

CALL = CallState.get_full_name()
AUTH = AuthFormState.get_full_name()
FRONTEND_EXCEPTION = f"{FrontendEventExceptionState.get_full_name()}.handle_frontend_exception"
ESC = "\x1b"
# A LiveKit-shaped token the app never issued (signed with a secret nobody has).
FOREIGN_JWT = jwt.encode({"iss": "APIsomeone", "sub": "mallory", "video": {"roomJoin": True}},
                         "not-the-secret-" * 3, algorithm="HS256")


async def _processed(client) -> None:
    """Every event this client sent so far has run (its events run in order)."""
    await client.round_trip(CALL, "toggle_mic", {}, "mic_on",
                            not client.value(CALL, "mic_on", True), timeout=60)


def _long_lines(log: str, cap: int) -> list[int]:
    return [len(line) for line in log.splitlines() if len(line) > cap]


async def test_what_clients_send_reaches_the_app_log_only_scrubbed(stack):
    user = stack.user("Scribbler")
    session_token = stack.token(user)
    client = await stack.signed_in(user)
    log_start = stack.log_size()
    forged_line = f"\n[{time.strftime('%H:%M:%S')}] ERROR: admin logged in from 10.0.0.1\r"
    try:
        # An event Reflex cannot route: it logs the whole event, client token included.
        await client.send(f"{CALL}.no_such_handler", {
            "session": session_token, "livekit": FOREIGN_JWT,
            "note": f"{ESC}[31mred{ESC}[0m{ESC}]0;pwned\x07" + forged_line})
        # Frontend exception reports, both ways a browser sends them, with newlines, ANSI
        # escapes and nearly a megabyte of text (the most a socket.io message may hold);
        # more than the budget of one tab.
        report = (f"TypeError: boom {ESC}[2J{ESC}[H" + forged_line + session_token + " "
                  + "A" * 950_000)
        for _ in range(8):
            await client.send(FRONTEND_EXCEPTION, {"info": report,
                                                   "component_stack": forged_line * 3})
            await client.send_raw("42/_event," + json.dumps(["client_error", {
                "error_type": "state_update", "message": report}]))
        await _processed(client)
        await asyncio.sleep(1.0)  # the log is written by the worker's handler
        raw = stack.app.log_path.read_bytes()[log_start:]
        log = raw.decode(errors="replace")

        flat = log.replace("\n", "")  # the console wraps long lines; tokens too
        assert "no_such_handler" in flat           # positive controls: both were logged
        assert "TypeError: boom" in flat
        assert client.client_token not in flat
        assert session_token not in flat and FOREIGN_JWT not in flat
        assert session_token.rsplit(".", 1)[0] not in flat
        assert ESC.encode() not in raw
        assert not [line for line in log.splitlines()  # no line the client forged
                    if re.match(r"\s*\[\d\d:\d\d:\d\d\] ERROR: admin", line)]
        assert _long_lines(log, LINE_CAP + 200) == []
        # One tab's reports are budgeted (5 a minute), not written 16 times.
        assert flat.count("TypeError: boom") <= 5 * 2
        assert len(raw) < 200_000
    finally:
        await client.close()


async def test_invite_codes_never_reach_the_app_log(stack):
    """An invite link's code rides in the registration page's URL and form: an event Reflex
    logs whole (one it cannot route) carries it both ways, and the log holds neither."""
    with stack.db() as session:
        issuer = session.get(User, stack.user("Inviter").id)
        issuer.is_admin = True
        code = invites.create_invite(session=session, user=issuer, uses=2, hours=1).code
    page = {"pathname": "/register", "asPath": f"/register?invite={code}",
            "query": {"invite": code}}
    client = await stack.client(token="", router_data=page).connect()
    log_start = stack.log_size()
    try:
        await client.wait_for(lambda: client.value(ROOT_STATE, "is_hydrated"), 20)
        await client.send(f"{AUTH}.no_such_handler", {"form_data": {"invite": code}})
        await client.send(f"{AUTH}.register", {"form_data": {
            "username": "short", "password": "x", "confirm": "y", "invite": code}})
        await client.wait_for(lambda: client.value(AUTH, "register_error"), 20)
        await asyncio.sleep(1.0)
        flat = stack.log_since(log_start).replace("\n", "")
        assert "no_such_handler" in flat  # the positive control: it was logged
        assert code not in flat
    finally:
        await client.close()


def _livekit_token(stack, *, secret: str, expires_in: int) -> str:
    now = int(time.time())
    return jwt.encode({"iss": stack.livekit.api_key, "sub": "mallory", "nbf": now - 600,
                       "exp": now + expires_in,
                       "video": {"roomJoin": True, "room": "dtk-room-1"}},
                      secret, algorithm="HS256")


def test_livekit_does_not_log_the_tokens_it_rejects(stack):
    expired = _livekit_token(stack, secret=stack.livekit.api_secret, expires_in=-60)
    forged = _livekit_token(stack, secret="a-secret-that-is-not-livekits-" * 2,
                            expires_in=600)
    log_start = stack.livekit.log_path.stat().st_size
    for token in (expired, forged):
        for path in ("/rtc/validate", "/rtc/v1/validate"):
            response = httpx.get(f"{stack.livekit.http_url}{path}",
                                 params={"access_token": token}, timeout=5)
            assert response.status_code == 401, response.text
        response = httpx.get(f"{stack.livekit.http_url}/rtc/validate",
                             headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert response.status_code == 401
    time.sleep(1.0)
    log = stack.livekit.log_path.read_bytes()[log_start:].decode(errors="replace")
    for token in (expired, forged):
        assert token not in log
        # nor its signed part, which with the header is what a replay needs
        assert token.rsplit(".", 1)[0] not in log
