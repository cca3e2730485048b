"""A hand-written client fires every public event handler of every state, with crafted
arguments, straight at the websocket. It gains nothing, and everyone else carries on.

The handlers are enumerated from the state classes themselves (Reflex's internal ones
included: hydrate, update_vars_internal, on_load_internal, setvar...), so a handler added
later is attacked too without touching this file. The attacker is a real signed-in user;
the victim owns two rooms, sits in both calls on the real LiveKit server, and has removed
the attacker from one of them. Afterwards the database rows that are not the attacker's
are exactly as before, the victim is still in both calls, nothing secret of anyone else
ever reached the attacker's socket, and the backend still answers honest clients quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import json
import re
import secrets
import statistics
import time
from datetime import datetime, timedelta, timezone

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit import rtc
from reflex.state import State, UpdateVarsInternalState
from sqlmodel import select

import distokoloshe.app  # noqa: F401  (imports every page, so every state is registered)
from distokoloshe import admin as admin_module
from distokoloshe import e2ee, invites, livekit_admin, livekit_tokens, registration, rooms
from distokoloshe.models import (
    ChatMessage,
    ChatRead,
    Invite,
    InviteRoom,
    InviteUse,
    ParticipantVolume,
    Room,
    RoomMember,
    RoomRemoval,
    User,
    UserPreferences,
)
from distokoloshe.state.admin import AdminState
from distokoloshe.state.auth import AuthFormState
from distokoloshe.state.call import CallState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState
from tests.faults.conftest import product_frames_in_tracebacks, start_stack, stop_stack
from tests.support import fuzzing
from tests.support.reflex_client import FIELD_SUFFIX, REGISTER_PAGE, SESSION_VAR, ReflexClient

CALL, ROOMS, PRESENCE, SESSION = (CallState.get_full_name(), RoomsState.get_full_name(),
                                  PresenceState.get_full_name(), SessionState.get_full_name())
ADMIN, AUTH = AdminState.get_full_name(), AuthFormState.get_full_name()
ROOT = State.get_full_name()
UPDATE_VARS = f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal"
JWT_PATTERN = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
# One frame may carry at most about 1 MB (Reflex's Engine.IO buffer); a payload this big
# still fits, several of them in one event do not.
BIG = "A" * 900_000
# Handlers that end the attacker's own session go last, so every other handler is tried
# by a signed-in attacker.
LAST = ("sign_out", "sign_out_everywhere")


def every_state(cls=State):
    yield cls
    for substate in sorted(cls.get_substates(), key=lambda c: c.get_full_name()):
        yield from every_state(substate)


def every_handler() -> list[tuple[type, str]]:
    found = [(cls, name) for cls in every_state() for name in sorted(cls.event_handlers)]
    return sorted(found, key=lambda item: (item[1] in LAST, item[1] == "sign_out_everywhere"))


def parameters(cls, name) -> list[str]:
    fn = cls.event_handlers[name].fn
    return [p for p in inspect.signature(fn).parameters if p != "self"]


def var_names(cls) -> list[str]:
    return sorted({*cls.get_fields(), *cls.computed_vars})


def nested(depth: int, leaf, *, as_dict: bool):
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


@dataclasses.dataclass
class Scene:
    attacker: User
    victim: User                 # the server's only admin
    bystander: User              # never connects; must never appear online
    victim_room: Room            # the attacker may join it, not run it
    closed_room: Room            # the victim's room the attacker was removed from
    attacker_room: Room
    secret_room: Room            # the victim's private room; the bystander is its member
    invite_code: str             # an invite the victim made; the attacker never learns it
    messages: list[int]          # the victim's chat messages, in each of the victim's rooms
    secret_texts: list[str]      # what the victim wrote where the attacker may not read


def hostile_values(scene: Scene) -> list:
    v, b, vr, cr = scene.victim, scene.bystander, scene.victim_room, scene.closed_room
    sr = scene.secret_room
    participant = {"identity": str(v.id), "name": "x" * 500, "is_local": True, "mic_on": True,
                   "speaking": True, "sharing": True, "encrypted": "yes", "quality": ["x"]}
    return [
        None, True, False, 0, -1, 1.5, float("nan"), float("inf"), 2**63, 2**64 + 1, 10**40,
        "", "0", "-1", "1 OR 1=1", "'; DROP TABLE users; --", f"room-{vr.id}",
        "<img src=x onerror=alert(1)>", "\u202eevil", "\x00", "retry:", "Shift+L",
        v.id, str(v.id), b.id, str(b.id), vr.id, str(vr.id), cr.id, str(cr.id), sr.id,
        str(sr.id), *scene.messages, *(str(m) for m in scene.messages),
        {"message": "forged", "body": "forged"},
        [], {}, [vr.id], {"room_id": cr.id}, {"identity": str(v.id)}, list(range(20_000)),
        nested(300, 1, as_dict=False), nested(300, 1, as_dict=True),
        BIG,
        {"room_name": vr.name}, {"room_name": "A" * 5000, "allow_unencrypted": "on"},
        {"username": v.username, "password": "not the password", "confirm": "not the password",
         "display_name": "x"},
        {"username": v.username, "password": ["x"], "confirm": ["x"]},
        {"username": "newcomer", "password": "a good passphrase", "confirm":
         "a good passphrase", "invite": invites.new_code()},
        {"username": "newcomer", "password": "a good passphrase", "confirm":
         "a good passphrase", "invite": ["x"], "uses": 100, "hours": 720,
         f"room_{cr.id}": "on"},
        [participant] * 600, [{"kind": "audioinput", "device_id": BIG[:5000], "label": 7}] * 100,
    ]


def payloads_for(cls, name, scene: Scene, values: list) -> list[dict]:
    if name == "setvar":
        targets = [*var_names(cls), "_verified_user_id", "session_token", "room_id", "e2ee_key",
                   "token", "is_hydrated", "router", "__class__"]
        return [{"var_name": target, "value": value} for target in targets
                for value in (scene.victim.id, scene.closed_room.id, True, "x")]
    params = parameters(cls, name)
    if not params:
        return [{}, {"user_id": scene.victim.id}]
    result = [{}, {**{p: 1 for p in params}, "user_id": scene.victim.id}]
    for value in values:
        if len(params) > 1 and len(json.dumps(value)) > 200_000:  # one big one per frame
            result += [{p: (BIG if p == target else "") for p in params} for target in params]
        else:
            result.append({p: value for p in params})
    return result


def forged_vars(scene: Scene) -> list[dict]:
    """Attempts to set other states' (and backend-only) vars through Reflex's client-storage
    path, in the `state.var` and the frontend's `state.var_rx_state_` spellings."""
    vr = scene.victim_room
    forged = {
        f"{SESSION}._verified_user_id": scene.bystander.id,
        f"{SESSION}.username": scene.victim.username,
        f"{CALL}.room_id": scene.closed_room.id,
        f"{CALL}.token": "forged",
        f"{CALL}.e2ee_key": "forged",
        f"{CALL}.i_own_room": True,
        f"{CALL}.connection": "reconnecting",
        f"{SESSION}.is_admin": True,
        f"{ADMIN}.accounts": [{"id": scene.victim.id, "username": "x", "display_name": "x",
                               "admin": True, "disabled": False, "last_signed_in": "",
                               "me": True}],
        f"{ROOMS}.selected_room": {"id": vr.id, "name": vr.name, "owner_name": "me",
                                   "mine": True, "encryption_required": False},
        f"{PRESENCE}.online": [scene.bystander.id],
        f"{ROOT}.is_hydrated": True,
        "no_such_state.x": 1,
        "": 1,
    }
    single = [{key: value} for key, value in forged.items()]
    suffixed = [{key + FIELD_SUFFIX: value} for key, value in forged.items() if key]
    return [*single, *suffixed, {k: v for k, v in forged.items() if k}]


def snapshot(stack, scene: Scene) -> dict:
    """Every row the attacker has no business changing."""
    a = scene.attacker.id
    with stack.db() as session:
        attacker_rooms = {r.id for r in session.exec(select(Room).where(Room.owner_id == a))}
        dump = lambda rows: sorted((row.model_dump() for row in rows), key=repr)  # noqa: E731
        return {
            "users": dump(session.exec(select(User).where(User.id != a))),
            "rooms": dump(session.exec(select(Room).where(Room.owner_id != a))),
            "removals": dump(r for r in session.exec(select(RoomRemoval))
                             if r.room_id not in attacker_rooms),
            "members": dump(m for m in session.exec(select(RoomMember))
                            if m.room_id not in attacker_rooms),
            "volumes": dump(session.exec(select(ParticipantVolume).where(
                ParticipantVolume.listener_id != a))),
            "preferences": dump(session.exec(select(UserPreferences).where(
                UserPreferences.user_id != a))),
            "chat messages": dump(session.exec(select(ChatMessage).where(
                ChatMessage.author_id != a))),
            # (a tab showing a room the attacker may write in reads what it writes there)
            "chat reads": dump(session.exec(select(ChatRead).where(
                ChatRead.user_id != a,
                ChatRead.room_id.in_([scene.closed_room.id, scene.secret_room.id])))),
            "invites": dump(session.exec(select(Invite))),
            "invite rooms": dump(session.exec(select(InviteRoom))),
            "invite uses": dump(session.exec(select(InviteUse))),
            "the attacker is an admin": session.get(User, a).is_admin,
        }


def room_keys(room: Room, settings, epochs: int) -> set[str]:
    return {e2ee.room_key(room.id, epoch, salt=room.key_salt or "", settings=settings)
            for epoch in range(epochs)}


async def join_call(stack, user: User, room: Room) -> rtc.Room:
    call = rtc.Room()
    token = livekit_tokens.mint_join_token(user, room, settings=stack.settings)
    await asyncio.wait_for(call.connect(stack.livekit.url, token), 15)
    return call


async def identities_in_call(stack, room: Room) -> list[str]:
    return await livekit_admin.list_participant_identities(room.id, settings=stack.settings)


async def drain(client: ReflexClient, timeout: float) -> float:
    """Wait until every event sent so far on this client has been processed (a client's
    events run in order, so the echo of one last, unique value marks the end); seconds."""
    marker = f"drained {time.monotonic()}"
    return await client.round_trip(CALL, "set_media_error",
                                   {"kind": "call", "code": "failed", "detail": marker},
                                   "media_error", f"The call could not start: {marker}", timeout)


async def honest_round_trips(client: ReflexClient, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        expected = not client.value(CALL, "camera_on", False)
        samples.append(await client.round_trip(CALL, "toggle_camera", {}, "camera_on",
                                               expected))
    return samples


def livekit_grants(token: str, stack) -> dict:
    return jwt.decode(token, stack.settings.livekit_api_secret.get_secret_value(),
                      algorithms=["HS256"], options={"verify_aud": False})


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A backend of this module's own, with the per-socket event budget lifted: the budget
    would drop most of this barrage (test_floods.py shows it does), and here every single
    crafted event has to reach its handler. Registration takes invites only, as production's
    does."""
    running = start_stack(tmp_path_factory.mktemp("faults-hostile"),
                          EVENTS_PER_SECOND="1000000", EVENT_BURST="1000000",
                          REGISTRATION="invite")
    yield running
    stop_stack(running)


@pytest.fixture
async def scene(stack):
    attacker, victim, bystander = (stack.user("Mallory"), stack.user("Victoria"),
                                   stack.user("Bystander"))
    with stack.db() as session:
        victim = session.get(User, victim.id)
        victim.is_admin = True
        session.add(victim)
        for other in session.exec(select(User).where(User.is_admin, User.id != victim.id)):
            other.is_admin = False  # an earlier test's victim
            session.add(other)
        session.flush()
        invite = invites.create_invite(session=session, user=victim, uses=5, hours=24)
        victim_room = rooms.create_room(session=session, user=victim, name=f"Victoria {victim.id}")
        closed_room = rooms.create_room(session=session, user=victim, name=f"Private {victim.id}")
        attacker_room = rooms.create_room(session=session, user=attacker,
                                          name=f"Mallory {attacker.id}")
        secret_room = rooms.create_room(session=session, user=victim,
                                        name=f"Hideaway {victim.id}")
        session.flush()
        rooms.set_member(session=session, user=victim, room_id=secret_room.id,
                         member_id=bystander.id, member=True)
        rooms.set_private(session=session, user=victim, room_id=secret_room.id, private=True)
        rooms.remove_from_call(session=session, user=victim, room_id=closed_room.id,
                               member_id=attacker.id)
        rooms.remember_room(session=session, user=victim, room_id=victim_room.id)
        session.flush()
        secret_texts = [f"closed room secret {secrets.token_hex(8)}",
                        f"hideaway secret {secrets.token_hex(8)}"]
        written = [ChatMessage(room_id=room.id, author_id=victim.id, body=body)
                   for room, body in ((victim_room, "hello, anyone"),
                                      (closed_room, secret_texts[0]),
                                      (secret_room, secret_texts[1]))]
        session.add_all(written)
        session.flush()
        for room in (victim_room, closed_room, attacker_room, secret_room):
            session.refresh(room)
        message_ids = [message.id for message in written]
    return Scene(attacker, victim, bystander, victim_room, closed_room, attacker_room,
                 secret_room, invite.code, message_ids, secret_texts)


async def test_every_handler_with_crafted_arguments_gains_the_attacker_nothing(stack, scene):
    s = scene
    victim_tab = await stack.signed_in(s.victim)
    calls = [await join_call(stack, s.victim, s.victim_room),
             await join_call(stack, s.victim, s.closed_room)]
    attacker_token = stack.token(s.attacker)
    attacker = await stack.signed_in(s.attacker)
    sent_names: list[str] = []

    async def attack(name: str, payload: dict, **kwargs) -> None:
        # One socket throughout, so its events run in order and everything they caused
        # comes back on it: a hang-up would hide what followed, so it fails the test.
        if attacker.closed.is_set():
            pytest.fail(f"the server hung up on the attacker after {sent_names[-20:]}")
        sent_names.append(name)
        await attacker.send(name, payload, **kwargs)

    try:
        await victim_tab.wait_for(lambda: s.victim.id in (victim_tab.value(PRESENCE, "online")
                                                          or []))
        idle = await honest_round_trips(victim_tab, 20)
        before = snapshot(stack, s)
        log_start = stack.log_size()

        # Positive control: a room the attacker may join gives it that room's key and a
        # token, so the searches below would find a leak if there were one.
        await attacker.send(f"{ROOMS}.select_room", {"room_id": s.attacker_room.id})

        values = hostile_values(s)
        handlers = every_handler()
        sent = 0
        started = time.monotonic()
        for forged in forged_vars(s):
            for name in (UPDATE_VARS, f"{ROOT}.hydrate_and_load"):
                # (hydrate_and_load resets browser storage: the attacker keeps its session)
                await attack(name, {"vars": {SESSION_VAR: attacker_token, **forged}})
                for follow_up in ("subscribe", "try_again"):
                    await attack(f"{PRESENCE}.{follow_up}", {})
                await attack(f"{ROOMS}.join_selected", {})
                await attack(f"{CALL}.update_room_key", {"_epoch": 1})
                await attack(f"{CALL}.remove_from_call", {"identity": str(s.victim.id)})
                await attack(f"{ADMIN}.refresh", {})
                await attack(f"{ADMIN}.disable_account", {"account_id": s.victim.id})
                sent += 8
        for cls, name in handlers:
            await attack(UPDATE_VARS, {"vars": {SESSION_VAR: attacker_token}})
            await attack(f"{ROOMS}.select_room", {"room_id": s.victim_room.id})
            for payload in payloads_for(cls, name, s, values):
                await attack(f"{cls.get_full_name()}.{name}", payload)
                sent += 1
        # Also with a spoofed route: router data naming the victim's socket and token.
        for name in (f"{PRESENCE}.subscribe", f"{SESSION}.sign_out"):
            await attack(name, {}, router_data={
                "pathname": "/", "asPath": "/", "sid": victim_tab.sid,
                "session_id": victim_tab.sid, "token": victim_tab.client_token,
                "client_token": victim_tab.client_token, "headers": {"x-forwarded-for": "1"}})
            sent += 1
        drained = await drain(attacker, timeout=180)
        assert not attacker.closed.is_set()
        await asyncio.sleep(3)  # background handlers (a rejoin waits 2 s) finish too
        elapsed = time.monotonic() - started

        # The database: nothing but the attacker's own rows changed.
        assert snapshot(stack, s) == before

        # LiveKit: the victim is still in both calls; the attacker joined neither by force.
        for room in (s.victim_room, s.closed_room):
            assert await identities_in_call(stack, room) == [str(s.victim.id)], room.name

        # Nothing secret of anyone else reached the attacker.
        received = "\n".join(attacker.texts)
        with stack.db() as session:
            closed_now = session.get(Room, s.closed_room.id)
            secret_now = session.get(Room, s.secret_room.id)
            others = session.exec(select(User).where(User.id != s.attacker.id)).all()
        # A private room it is not a member of: not even its name.
        assert s.secret_room.name not in received
        secrets_of_others = {
            *room_keys(closed_now, stack.settings, closed_now.key_epoch + 3),
            *room_keys(secret_now, stack.settings, secret_now.key_epoch + 3),
            victim_tab.session_token,
            *(user.password_hash for user in others),
            s.invite_code, invites.code_hash(s.invite_code), *s.secret_texts,
        }
        leaked = [secret for secret in secrets_of_others if secret in received]
        assert not leaked
        assert "$bcrypt" not in received

        # Every token it holds is its own: session tokens for it, LiveKit tokens for its
        # identity, one room each, never the room it was removed from, never admin rights.
        livekit_rooms = set()
        for token in set(JWT_PATTERN.findall(received)):
            claims = jwt.decode(token, options={"verify_signature": False})
            if "video" in claims:
                claims = livekit_grants(token, stack)
                video = claims["video"]
                if video["room"].startswith(livekit_tokens.CHECK_PREFIX):
                    # The connection check's, which anyone may have: a throwaway room of
                    # its own that hears no one.
                    assert claims["sub"] == video["room"]
                    assert video.get("canSubscribe") is False
                    assert video.get("canPublishSources") == ["microphone"]
                    continue
                assert claims["sub"] == str(s.attacker.id)
                assert video.get("roomJoin") is True
                assert not any(video.get(grant) for grant in
                               ("roomAdmin", "roomCreate", "roomList", "roomRecord",
                                "canUpdateOwnMetadata", "ingressAdmin"))
                livekit_rooms.add(video["room"])
            else:
                assert claims.get("sub") == str(s.attacker.id), claims
        assert livekit_tokens.livekit_room_name(s.closed_room.id) not in livekit_rooms
        assert livekit_tokens.livekit_room_name(s.secret_room.id) not in livekit_rooms
        # the positive controls: its own room's token and key did arrive
        assert livekit_tokens.livekit_room_name(s.attacker_room.id) in livekit_rooms
        assert room_keys(s.attacker_room, stack.settings, 1) & {
            m for m in re.findall(r'"e2ee_key_rx_state_":"([^"]+)"', received)}

        # Presence: the victim is still online; the bystander never was.
        online = victim_tab.value(PRESENCE, "online")
        assert s.victim.id in online and s.bystander.id not in online

        # The backend still serves others, and quickly: the victim's tab, and a new tab.
        assert not victim_tab.closed.is_set()
        after = await honest_round_trips(victim_tab, 20)
        assert statistics.median(after) < max(2 * statistics.median(idle), 0.02)
        newcomer = await stack.signed_in(stack.user("Newcomer"))
        await newcomer.round_trip(CALL, "toggle_mic", {}, "mic_on", False)
        await newcomer.close()
        assert httpx.get(f"http://127.0.0.1:{stack.port}/ping", timeout=5).status_code == 200

        log = stack.log_since(log_start)
        # Reflex itself logs a traceback for a call it cannot make (unknown var, missing
        # argument); a crafted argument must never crash our own code.
        product_errors = product_frames_in_tracebacks(log)
        print(f"\nhostile client: {len(handlers)} handlers, {sent} events in {elapsed:.1f} s "
              f"(drained {drained:.1f} s); victim round trip median idle "
              f"{statistics.median(idle) * 1000:.1f} ms, after "
              f"{statistics.median(after) * 1000:.1f} ms; tracebacks in the log: "
              f"{log.count('Traceback')}; in product code: "
              f"{product_errors}")
        assert product_errors == []
    finally:
        for call in calls:
            with contextlib.suppress(Exception):
                await call.disconnect()
        await attacker.close()
        await victim_tab.close()


async def _register(stack, form: dict) -> tuple[ReflexClient, str]:
    """A new visitor's registration page sends `form`; (its client, the page's error)."""
    client = await stack.client(token="", router_data=REGISTER_PAGE).connect()
    await client.wait_for(lambda: client.value("reflex___state____state", "is_hydrated"), 20)
    await client.send(f"{AUTH}.register", {"form_data": form})
    await client.wait_for(lambda: client.value(AUTH, "register_error")
                          or client.value(SESSION, "session_token"), 30)
    return client, client.value(AUTH, "register_error", "")


async def test_registration_takes_only_an_invite_that_still_works(stack, scene):
    """Without an invite, or with a forged, expired, used-up or withdrawn one, nobody gets an
    account, and every failed invite gets the same answer; a good one registers once."""
    s = scene
    with stack.db() as session:
        victim = session.get(User, s.victim.id)
        expired = invites.create_invite(session=session, user=victim, uses=5, hours=1,
                                        now=datetime.now(timezone.utc) - timedelta(hours=2))
        withdrawn = invites.create_invite(session=session, user=victim, uses=5, hours=1)
        invites.revoke_invite(session=session, user=victim, invite_id=withdrawn.id)
        used_up = invites.create_invite(session=session, user=victim, uses=1, hours=1)
        session.get(Invite, used_up.id).uses = 1
        once = invites.create_invite(session=session, user=victim, uses=1, hours=1)
    name = f"invited{secrets.token_hex(3)}"
    form = {"username": name, "password": "a good passphrase", "confirm": "a good passphrase"}
    answers = {}
    clients = []
    try:
        for label, code in [("none", None), ("forged", invites.new_code()),
                            ("expired", expired.code), ("withdrawn", withdrawn.code),
                            ("used up", used_up.code), ("not text", [once.code]),
                            ("too long", once.code * 10)]:
            client, answers[label] = await _register(
                stack, form if code is None else {**form, "invite": code})
            clients.append(client)
        assert answers.pop("none") == registration.INVITE_ONLY
        assert set(answers.values()) == {invites.INVALID_INVITE}, answers
        with stack.db() as session:
            assert session.exec(select(User).where(User.username == name)).first() is None
            assert session.get(Invite, expired.id).uses == 0

        client, error = await _register(stack, {**form, "invite": once.code})
        clients.append(client)
        assert error == "" and client.value(SESSION, "session_token")
        client, again = await _register(stack, {**form, "username": name + "x",
                                                "invite": once.code})
        clients.append(client)
        assert again == invites.INVALID_INVITE
        with stack.db() as session:
            [used] = session.exec(select(InviteUse).where(InviteUse.invite_id == once.id))
            assert session.get(User, used.user_id).username == name
            assert not session.get(User, used.user_id).is_admin
    finally:
        for client in clients:
            await client.close()


async def test_a_user_reaches_no_admin_handler_and_the_last_admin_stays(stack, scene):
    s = scene
    attacker = await stack.signed_in(s.attacker)
    admin_tab = await stack.signed_in(s.victim)
    before = snapshot(stack, s)
    with stack.db() as session:
        invite_id = session.exec(select(Invite.id)).first()
    try:
        for name, payload in [
                ("enter", {}), ("refresh", {}),
                ("create_invite", {"form_data": {"uses": "100", "hours": "720"}}),
                ("revoke_invite", {"invite_id": invite_id}),
                ("disable_account", {"account_id": s.victim.id}),
                ("disable_account", {"account_id": str(s.bystander.id)}),
                ("enable_account", {"account_id": s.attacker.id}),
                ("set_admin", {"account_id": s.attacker.id, "make_admin": True}),
                ("set_admin", {"account_id": s.victim.id, "make_admin": False})]:
            await attacker.send(f"{ADMIN}.{name}", payload,
                                router_data={"pathname": "/admin", "asPath": "/admin"})
        await drain(attacker, timeout=30)
        assert snapshot(stack, s) == before
        for var in ("accounts", "invites", "rooms"):
            assert attacker.value(ADMIN, var) in (None, [])
        assert not attacker.value(ADMIN, "new_invite_link")
        received = "\n".join(attacker.texts)
        assert s.victim.username not in received and s.bystander.username not in received

        # The only admin cannot leave the server without one.
        await admin_tab.send(f"{ADMIN}.enter", {})
        await admin_tab.wait_for(lambda: admin_tab.value(ADMIN, "accounts"), 20)
        await admin_tab.round_trip(ADMIN, "set_admin", {"account_id": s.victim.id,
                                                        "make_admin": False}, "admin_error",
                                   admin_module.LAST_ADMIN, timeout=20)
        await admin_tab.send(f"{ADMIN}.disable_account", {"account_id": s.victim.id})
        await admin_tab.wait_for(lambda: "your own account" in (
            admin_tab.value(ADMIN, "admin_error") or ""), 20)
        with stack.db() as session:
            victim = session.get(User, s.victim.id)
            assert victim.is_admin and victim.disabled_at is None
        await honest_round_trips(admin_tab, 3)  # still signed in
    finally:
        await attacker.close()
        await admin_tab.close()


async def test_a_removed_user_cannot_get_a_token_or_key_for_that_room(stack, scene):
    """Every route to a join token, tried for the room the owner removed the attacker from."""
    s = scene
    attacker = await stack.signed_in(s.attacker)
    try:
        closed = s.closed_room.id
        await attacker.send(f"{ROOMS}.select_room", {"room_id": closed})
        await attacker.wait_for_value(CALL, "media_error",
                                      "The owner removed you from this room's call.")
        for attempt in ({"room_id": str(closed)}, {"room_id": float(closed)},
                        {"room_id": [closed]}, {"room_id": {"id": closed}}):
            await attacker.send(f"{ROOMS}.select_room", attempt)
        await attacker.send(f"{ROOMS}.join_selected")
        await attacker.send(f"{CALL}.set_disconnected", {"reason": "network", "final": False})
        await attacker.send(f"{CALL}.rejoin_after_delay")
        await attacker.send(f"{CALL}.update_room_key", {"_epoch": 5})
        await drain(attacker, timeout=30)
        await asyncio.sleep(2.5)  # the rejoin's delay
        received = "\n".join(attacker.texts)
        with stack.db() as session:
            room = session.get(Room, closed)
        assert not room_keys(room, stack.settings, room.key_epoch + 3) & set(
            re.findall(r'"e2ee_key_rx_state_":"([^"]+)"', received))
        for token in JWT_PATTERN.findall(received):
            claims = jwt.decode(token, options={"verify_signature": False})
            assert claims.get("video", {}).get("room") != livekit_tokens.livekit_room_name(closed)
        assert attacker.value(CALL, "room_id") != closed
    finally:
        await attacker.close()


async def test_a_non_member_gets_nothing_of_a_private_room(stack, scene):
    """Every route into a private room, tried by someone who is not its member: refused as
    a room that does not exist, and its name, token and key never reach them."""
    s = scene
    attacker = await stack.signed_in(s.attacker)
    try:
        secret = s.secret_room.id
        await attacker.send(f"{ROOMS}.select_room", {"room_id": secret})
        await attacker.wait_for_value(ROOMS, "room_error", "That room does not exist.")
        await attacker.send(f"{ROOMS}.select_room", {"room_id": s.attacker_room.id})
        for event, payload in ((f"{ROOMS}.set_room_member",
                                {"user_id": s.attacker.id, "member": True}),
                               (f"{ROOMS}.set_room_private", {"private": False})):
            await attacker.send(f"{UPDATE_VARS}", {"vars": {
                f"{ROOMS}.selected_room": {"id": secret, "name": "x", "owner_id": s.victim.id,
                                           "owner_name": "x", "mine": True,
                                           "encryption_required": True, "private": True}}})
            await attacker.send(event, payload)
        await attacker.send(f"{CALL}.set_disconnected", {"reason": "network", "final": False})
        await drain(attacker, timeout=30)
        await asyncio.sleep(2.5)  # a rejoin's delay
        received = "\n".join(attacker.texts)
        with stack.db() as session:
            room = session.get(Room, secret)
            members = session.exec(select(RoomMember.user_id)
                                   .where(RoomMember.room_id == secret)).all()
        assert s.secret_room.name not in received
        assert room.private and members == [s.bystander.id]
        assert not room_keys(room, stack.settings, room.key_epoch + 3) & set(
            re.findall(r'"e2ee_key_rx_state_":"([^"]+)"', received))
        for token in JWT_PATTERN.findall(received):
            claims = jwt.decode(token, options={"verify_signature": False})
            assert claims.get("video", {}).get("room") != livekit_tokens.livekit_room_name(secret)
    finally:
        await attacker.close()


async def test_malformed_frames_do_not_take_the_backend_down(stack):
    """Garbage at the Socket.IO and Engine.IO level: the worst is losing one's own socket."""
    honest = await stack.signed_in(stack.user("Honest"))
    mallory = stack.user("Mallory")
    deep = "[" * 200_000 + "]" * 200_000
    frames = [
        "not a packet", "4", "42", "42/_event,", "42/_event,{", "42/_event,[]",
        '42/_event,["event"]', '42/_event,["event","a string"]', '42/_event,["event",42]',
        '42/_event,["event",{"name":42}]', '42/_event,["event",{"name":"x","payload":[]}]',
        '42/_event,["event",{"name":"x.y","payload":{},"router_data":"x"}]',
        '42/_event,["no_such_event",{}]', '42/_other,["event",{}]', "41/_event,",
        '42/_event,["event",{"name":"' + "a." * 50_000 + '"}]',
        f'42/_event,["event",{{"name":"{CALL}.toggle_mic","payload":{deep}}}]',
        f'42/_event,["event",{{"name":"{CALL}.toggle_mic","payload":{{"x":"' + "B" * 3_000_000
        + '"}}]',
        b"\x00\x01binary", "2", "3", "6", "5",
    ]
    survived = 0
    try:
        for frame in frames:
            client = await stack.client(mallory).connect()
            with contextlib.suppress(Exception):
                await client.send_raw(frame)
                await client.send_raw(frame)
            await asyncio.sleep(0.05)
            await client.close()
            assert httpx.get(f"http://127.0.0.1:{stack.port}/ping", timeout=5).status_code == 200
            await honest.round_trip(CALL, "toggle_mic", {}, "mic_on",
                                    not honest.value(CALL, "mic_on", True), timeout=5)
            survived += 1
        # Many unknown handlers in a row from one socket, then a real one answers.
        client = await stack.client(mallory).connect()
        for n in range(2000):
            await client.send(f"{CALL}.no_such_handler_{n}", {})
        await client.send(f"{CALL}.toggle_deafen", {})
        await client.wait_for(lambda: client.value(CALL, "deafened") is True, 30)
        await client.close()
        assert survived == len(frames)
    finally:
        await honest.close()


async def test_text_that_is_not_unicode_is_replaced_and_nobody_loses_their_socket(stack, scene):
    """A lone surrogate is valid JSON but no UTF-8: kept in a var, it would break every later
    update of that tab. Sent to every handler, it arrives as U+FFFD; nobody is hung up on."""
    s = scene
    victim_tab = await stack.signed_in(s.victim)
    attacker = await stack.signed_in(s.attacker)
    hang_ups = set()
    try:
        for cls, name in every_handler():
            if name in LAST:
                continue
            payload = {p: "\ud800" for p in parameters(cls, name)}
            if name == "setvar":
                payload = {"var_name": "x", "value": "\ud800"}
            await attacker.send(f"{cls.get_full_name()}.{name}", payload)
            with contextlib.suppress(TimeoutError):
                await drain(attacker, timeout=5)
            if attacker.closed.is_set():
                hang_ups.add(f"{cls.__name__}.{name}")
                await attacker.close()
                attacker = await stack.signed_in(s.attacker)
        assert hang_ups == set()
        # The text a handler keeps arrives back replaced, and the tab goes on working.
        await attacker.round_trip(CALL, "set_media_error",
                                  {"kind": "call", "code": "failed", "detail": "cam\ud800"},
                                  "media_error", "The call could not start: cam\ufffd", 5)
        await honest_round_trips(attacker, 3)
        assert not victim_tab.closed.is_set()
        await honest_round_trips(victim_tab, 5)
        assert s.victim.id in victim_tab.value(PRESENCE, "online")
    finally:
        await attacker.close()
        await victim_tab.close()


# Arbitrary JSON, lone surrogates included (they arrive as U+FFFD, see above).
_text = st.text(max_size=40)
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
              st.floats(allow_nan=True, allow_infinity=True), _text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(_text, inner, max_size=4)), max_leaves=10)


@settings(max_examples=fuzzing.EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
async def test_random_payloads_through_the_websocket(stack, scene, fuzz_tabs, data):
    """Hypothesis picks a handler and any JSON for its arguments (and stray ones), sent by
    a real signed-in tab; nothing crashes our code and nothing of anyone else changes."""
    attacker, before = fuzz_tabs
    cls, name = data.draw(st.sampled_from([h for h in every_handler() if h[1] not in LAST]))
    names = parameters(cls, name)
    payload = data.draw(st.dictionaries(
        st.sampled_from([*names, "x"]) if names else st.just("x"), _json,
        min_size=len(names), max_size=len(names) + 1))
    log_start = stack.log_size()
    await attacker.send(f"{cls.get_full_name()}.{name}", payload)
    await drain(attacker, timeout=30)
    assert not attacker.closed.is_set()
    assert product_frames_in_tracebacks(stack.log_since(log_start)) == []
    assert snapshot(stack, scene) == before


@pytest.fixture
async def fuzz_tabs(stack, scene):
    attacker = await stack.signed_in(scene.attacker)
    yield attacker, snapshot(stack, scene)
    await attacker.close()
