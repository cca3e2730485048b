"""Fuzzing what every handler that takes input calls: Hypothesis drives the domain functions
(validation, accounts, rooms, chat, invites, registration, admin, preferences, presence,
webhooks, session tokens) with
arbitrary values, FUZZ_EXAMPLES cases each (200 in the suite, 1,000 in the README's long
run: tests/support/fuzzing.py), on a real migrated database (SQLite, and
PostgreSQL for the database-backed ones). Each call either succeeds or refuses with the
domain's own exception, never anything else, and afterwards what is stored still obeys
the rules: room and display names are clean, volumes are 0..200, preferences are valid,
invites are never used past their uses, chat messages are 1–2,000 trimmed characters
changed only by their author (or deleted by the room's owner), the server keeps an admin,
and the database passes
its integrity check.

The state handlers call exactly these functions with the client's arguments (the
websocket path itself is attacked in test_hostile_websocket.py). bcrypt runs at its
lowest cost here, so a thousand registrations take seconds; the hashing itself is
tested in tests/unit/test_passwords.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import string
import time
import unicodedata
from collections.abc import Iterator

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livekit import api
from sqlalchemy import text
from sqlmodel import Session, select

from distokoloshe import (
    accounts,
    admin,
    chat,
    db,
    invites,
    preferences,
    presence,
    registration,
    rooms,
    sessions,
    validation,
    webhooks,
)
from distokoloshe.models import (
    ChatMessage,
    Invite,
    InviteUse,
    ParticipantVolume,
    Room,
    RoomRemoval,
    User,
    UserPreferences,
)
from distokoloshe.settings import get_settings
from tests.support import fuzzing, servers
from tests.support.fixtures import app_env, cheap_hashing  # noqa: F401  (app_env: autouse)

pytestmark = pytest.mark.usefixtures("cheap_hashing")
FUZZ = settings(max_examples=fuzzing.EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# -- what a client can send ------------------------------------------------------------------

# Text with everything Unicode has, lone surrogates included (they are valid JSON escapes),
# plus the characters that make names lie: bidi controls, zero-width and combining marks,
# letters that grow when case-folded.
TRICKY = ["\u202e", "\u2066", "\u200b", "\u0301", "ß", "ﬃ", "İ", "\x00", "\ud800", "\t",
          "\n", " ", "\u3000", "\ufeff", "Å", "A\u030a"]
any_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=80),
    st.lists(st.sampled_from(TRICKY + list("ab .-_Z9")), max_size=60).map("".join),
    st.text(st.characters(exclude_categories=()), min_size=1000, max_size=1100),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
                        st.floats(allow_nan=True, allow_infinity=True), any_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
valid_username = st.from_regex(r"[A-Za-z0-9_.-]{3,32}", fullmatch=True)
valid_password = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                         min_size=8, max_size=40)


def is_clean_name(name: str, max_length: int) -> bool:
    return (0 < len(name) <= max_length and name == " ".join(name.split())
            and unicodedata.normalize("NFC", name) == name
            and not any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn")
                        or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                        for c in name))


# -- a real database ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with servers.postgres_database("fuzz") as url:
        db.migrate(url)
        yield url


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fuzz.db'}"
        db.migrate(url)
    else:
        url = request.getfixturevalue("postgres_url")
        with db.make_engine(url).begin() as connection:
            connection.execute(text("TRUNCATE users, rooms, room_removals, participant_volumes,"
                                    " user_preferences, chat_messages, chat_reads"
                                    " RESTART IDENTITY CASCADE"))
    engine = db.make_engine(url)
    yield engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert connection.execute(text("PRAGMA foreign_key_check")).first() is None
    engine.dispose()


def transaction(engine, action, **kwargs):
    """Run a domain call the way a handler does: one transaction, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            result = action(session=session, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise


@pytest.fixture
def users(engine) -> list[User]:
    """Three accounts, made once per test (Hypothesis runs every example against them)."""
    made = []
    with Session(engine, expire_on_commit=False) as session:
        for i in range(3):
            user = User(username=f"user{i}", username_key=f"user{i}", display_name=f"User {i}",
                        password_hash="x")
            session.add(user)
            session.flush()
            made.append(user)
        session.commit()
    return made


# -- validation -----------------------------------------------------------------------------------

@FUZZ
@given(value=st.one_of(any_text, json_value))
def test_username_rules(value):
    try:
        clean = validation.clean_username(value)
    except validation.InvalidInput:
        return
    assert validation.USERNAME_PATTERN.fullmatch(clean)
    assert validation.clean_username(clean) == clean


@FUZZ
@given(value=st.one_of(any_text, json_value))
def test_password_rules(value):
    try:
        clean = validation.clean_password(value)
    except validation.InvalidInput:
        return
    assert 8 <= len(clean) <= 128 and "\x00" not in clean
    clean.encode("utf-8")  # hashable: no lone surrogates
    assert validation.clean_password(clean) == clean


@FUZZ
@given(value=st.one_of(any_text, json_value))
def test_display_and_room_name_rules(value):
    try:
        display = validation.clean_display_name(value, fallback="fallback")
        assert display == "fallback" or is_clean_name(display, validation.DISPLAY_NAME_MAX)
        assert validation.clean_display_name(display, fallback="x") == display
    except validation.InvalidInput:
        pass
    try:
        room = validation.clean_room_name(value)
    except validation.InvalidInput:
        return
    assert is_clean_name(room, validation.ROOM_NAME_MAX)
    assert len(validation.room_name_key(room)) <= validation.ROOM_NAME_MAX
    assert validation.clean_room_name(room) == room


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f", "\u034f",
             "\U000e0041", "\u180e"]


@FUZZ
@given(value=st.one_of(any_text, json_value), invisible=st.lists(st.sampled_from(INVISIBLE),
                                                                  min_size=1, max_size=4),
       where=st.integers(0, 40))
def test_display_names_are_nfkc_without_invisibles_and_their_keys_ignore_hiding(
        value, invisible, where):
    try:
        display = validation.clean_display_name(value, fallback="fallback")
    except validation.InvalidInput:
        return
    assert unicodedata.normalize("NFKC", display) == display
    assert not any(unicodedata.category(c) == "Cf" for c in display)
    key = validation.display_name_key(display)
    assert len(key) <= validation.DISPLAY_NAME_KEY_MAX
    # the same name with invisible characters slipped in is the same name
    hidden = display[:where] + "".join(invisible) + display[where:]
    try:
        again = validation.clean_display_name(hidden, fallback="fallback")
    except validation.InvalidInput:
        return  # now too long, say
    assert validation.display_name_key(again) == key
    assert validation.display_name_key(display.upper()) == validation.display_name_key(
        display.lower()) or not display.isascii()


# -- accounts -------------------------------------------------------------------------------------

@FUZZ
@given(username=st.one_of(valid_username, any_text, json_scalar),
       password=st.one_of(valid_password, any_text, json_scalar),
       display_name=st.one_of(any_text, json_scalar))
def test_register_then_authenticate(engine, username, password, display_name):
    try:
        user = transaction(engine, accounts.register, username=username, password=password,
                           display_name=display_name)
    except (validation.InvalidInput, accounts.UsernameTaken):
        transaction(engine, accounts.authenticate, username=username, password=password)
        return
    found = transaction(engine, accounts.authenticate, username=username, password=password)
    assert found is not None and found.id == user.id
    assert transaction(engine, accounts.authenticate, username=username,
                       password=password + "!") is None
    with Session(engine) as session:
        stored = session.get(User, user.id)
        assert validation.USERNAME_PATTERN.fullmatch(stored.username)
        assert stored.username_key == stored.username.casefold()
        assert stored.display_name == stored.username or is_clean_name(
            stored.display_name, validation.DISPLAY_NAME_MAX)
        assert stored.password_hash.startswith("$bcrypt-sha256$")


# -- rooms --------------------------------------------------------------------------------------

ROOM_OPS = ("create", "select", "delete", "remove", "admit")


@FUZZ
@given(data=st.data())
def test_room_operations_keep_the_rooms_consistent(engine, users, data):
    ids = lambda: [r.id for r in transaction(engine, lambda session: session.exec(  # noqa: E731
        select(Room)).all())]
    for _ in range(data.draw(st.integers(1, 5), label="steps")):
        op = data.draw(st.sampled_from(ROOM_OPS), label="op")
        user = data.draw(st.sampled_from(users), label="user")
        # What is drawn must not depend on the database (Hypothesis replays draws), so an
        # existing room is drawn as a position in whatever rooms exist by then.
        ref = data.draw(st.one_of(st.tuples(st.just("existing"), st.integers(0, 30)),
                                  json_scalar), label="room")
        existing = ids()
        room_id = ref
        if isinstance(ref, tuple):
            room_id = existing[ref[1] % len(existing)] if existing else ref[1]
        with Session(engine, expire_on_commit=False) as session:
            me = session.get(User, user.id)
            room = session.get(Room, room_id) if room_id in existing and isinstance(
                room_id, int) and not isinstance(room_id, bool) else None
            owner = room is not None and room.owner_id == me.id
            removed = room is not None and session.get(RoomRemoval, (room.id, me.id)) is not None
        try:
            if op == "create":
                name = data.draw(st.one_of(any_text, json_scalar), label="name")
                created = transaction(engine, rooms.create_room, user=me, name=name)
                assert created.owner_id == me.id
            elif op == "select":
                assert transaction(engine, rooms.remember_room, user=me,
                                   room_id=room_id).id == room.id
            elif op == "delete":
                transaction(engine, rooms.delete_room, user=me, room_id=room_id)
                assert owner, "someone deleted a room they do not own"
            elif op == "remove":
                member = data.draw(st.one_of(st.sampled_from([u.id for u in users]),
                                             st.sampled_from([str(u.id) for u in users]),
                                             json_scalar), label="member")
                transaction(engine, rooms.remove_from_call, user=me, room_id=room_id,
                            member_id=member)
                assert owner, "someone removed a person from a room they do not own"
            else:
                transaction(engine, rooms.admit, user=me, room_id=room_id)
                assert room is not None and not removed
        except (validation.InvalidInput, rooms.RoomNameTaken):
            assert op == "create"
        except rooms.RoomNotFound:
            assert room is None or op == "remove"
        except rooms.NotRoomOwner:
            assert room is not None and not owner
        except rooms.RemovedFromRoom:
            assert op == "admit" and removed
    with Session(engine) as session:
        all_rooms = session.exec(select(Room)).all()
        keys = [room.name_key for room in all_rooms]
        assert len(keys) == len(set(keys))
        for room in all_rooms:
            assert validation.clean_room_name(room.name) == room.name
            assert room.name_key == validation.room_name_key(room.name)
            assert room.key_epoch >= 0 and session.get(User, room.owner_id) is not None
        room_ids = {room.id for room in all_rooms}
        for removal in session.exec(select(RoomRemoval)):
            assert removal.room_id in room_ids
        for user in session.exec(select(User)):
            assert user.last_room_id is None or user.last_room_id in room_ids


# -- chat ---------------------------------------------------------------------------------------

CHAT_OPS = ("post", "edit", "delete", "history", "mark_read")


@pytest.fixture
def chat_rooms(engine, users) -> list[int]:
    """Two rooms of the first user: one open to all, one the third user was removed from."""
    with Session(engine, expire_on_commit=False) as session:
        owner = session.get(User, users[0].id)
        made = [rooms.create_room(session=session, user=owner, name=name).id
                for name in ("Open", "Closed")]
        rooms.remove_from_call(session=session, user=owner, room_id=made[1],
                               member_id=users[2].id)
        session.commit()
    return made


@FUZZ
@given(data=st.data())
def test_chat_operations_keep_the_rules(engine, users, chat_rooms, data, monkeypatch):
    monkeypatch.setattr(chat.ratelimit, "hit_chat", lambda user_id: None)
    for _ in range(data.draw(st.integers(1, 4), label="steps")):
        op = data.draw(st.sampled_from(CHAT_OPS), label="op")
        user = data.draw(st.sampled_from(users), label="user")
        room_id = data.draw(st.one_of(st.sampled_from(chat_rooms), json_scalar), label="room")
        ref = data.draw(st.one_of(st.tuples(st.just("existing"), st.integers(0, 30)),
                                  json_scalar), label="message")
        body = data.draw(st.one_of(any_text, json_scalar), label="body")
        with Session(engine, expire_on_commit=False) as session:
            before = {m.id: m for m in session.exec(select(ChatMessage)).all()}
            me = session.get(User, user.id)
        existing = sorted(before)
        message_id = (existing[ref[1] % len(existing)] if existing else ref[1]
                      ) if isinstance(ref, tuple) else ref
        try:
            if op == "post":
                shown = transaction(engine, chat.post, user=me, room_id=room_id, body=body)
                assert shown.author_id == me.id and shown.body == chat.clean_body(body)
            elif op == "edit":
                transaction(engine, chat.edit, user=me, message_id=message_id, body=body)
            elif op == "delete":
                transaction(engine, chat.delete, user=me, message_id=message_id)
            elif op == "history":
                page = transaction(engine, chat.history, user=me, room_id=room_id,
                                   before_id=message_id)
                assert len(page.messages) <= chat.PAGE_SIZE
                assert all(m.body for m in page.messages)  # never a deleted one
            else:
                transaction(engine, chat.mark_read, user=me, room_id=room_id)
        except chat.ChatRefused:
            pass
        with Session(engine) as session:
            after = {m.id: m for m in session.exec(select(ChatMessage)).all()}
            for message_id_, message in after.items():
                old = before.get(message_id_)
                if message.deleted_at is None:
                    assert 0 < len(message.body) <= chat.BODY_MAX
                    assert message.body == message.body.strip()
                else:
                    assert message.body == ""
                if old is None:
                    assert message.author_id == me.id  # never as someone else
                    # and never where a removed person may not write
                    assert message.room_id == chat_rooms[0] or me.id != users[2].id
                elif old.body != message.body:
                    owner = session.get(Room, message.room_id).owner_id
                    assert message.author_id == me.id or (message.deleted_at is not None
                                                          and owner == me.id)


# -- invites, registration and admins -------------------------------------------------------

ACCESS_OPS = ("create", "register", "revoke", "disable", "enable", "set_admin")
MODES = ("open", "invite", "closed")


@pytest.fixture
def admin_users(engine, users) -> list[User]:
    """The three accounts; the first is the server's admin."""
    with Session(engine, expire_on_commit=False) as session:
        first = session.get(User, users[0].id)
        first.is_admin = True
        session.commit()
    return users


@FUZZ
@given(data=st.data())
def test_invites_and_admin_actions_keep_the_rules(engine, admin_users, data):
    """Anyone (an admin, or not) tries any invite or admin action with any arguments, in any
    registration mode: only admins change anything, an invite is never used more often than
    it allows, every use is recorded, and the server always keeps an active admin."""
    codes: list[str] = []
    for _ in range(data.draw(st.integers(1, 5), label="steps")):
        op = data.draw(st.sampled_from(ACCESS_OPS), label="op")
        actor_id = data.draw(st.sampled_from([u.id for u in admin_users]), label="actor")
        with Session(engine, expire_on_commit=False) as session:
            actor = session.get(User, actor_id)
            acting_admin = admin.is_active_admin(actor)
        target = data.draw(st.one_of(st.sampled_from([u.id for u in admin_users]),
                                     st.sampled_from([str(u.id) for u in admin_users]),
                                     json_scalar), label="target")
        try:
            if op == "create":
                made = transaction(engine, invites.create_invite, user=actor,
                                   uses=data.draw(st.one_of(st.integers(-1, 102), json_scalar)),
                                   hours=data.draw(st.one_of(st.integers(-1, 730),
                                                             st.sampled_from(["1", "720"]),
                                                             json_scalar)),
                                   room_ids=data.draw(st.one_of(st.just([]), json_value)))
                assert acting_admin
                codes.append(made.code)
            elif op == "register":
                code = data.draw(st.one_of(st.sampled_from(codes or [""]), json_scalar),
                                 label="code")
                settings = get_settings().model_copy(
                    update={"registration": data.draw(st.sampled_from(MODES))})
                transaction(engine, registration.register,
                            username=data.draw(valid_username, label="username"),
                            password="a good passphrase", invite=code, settings=settings)
            elif op == "revoke":
                transaction(engine, invites.revoke_invite, user=actor, invite_id=target)
                assert acting_admin
            elif op == "disable":
                transaction(engine, admin.disable_account, user=actor, account_id=target,
                            livekit_rooms=data.draw(st.lists(st.text(max_size=12),
                                                             max_size=3)))
                assert acting_admin
            elif op == "enable":
                transaction(engine, admin.enable_account, user=actor, account_id=target)
                assert acting_admin
            else:
                transaction(engine, admin.set_admin, user=actor, account_id=target,
                            admin=data.draw(json_scalar))
                assert acting_admin
        except admin.NotAdmin:
            assert not acting_admin or op == "register"
        except (validation.InvalidInput, accounts.UsernameTaken, admin.LastAdmin,
                admin.UnknownAccount, invites.UnknownInvite):
            pass
    with Session(engine) as session:
        assert admin.active_admins(session=session) >= 1
        for invite in session.exec(select(Invite)):
            used = session.exec(select(InviteUse).where(InviteUse.invite_id == invite.id)).all()
            assert 0 <= invite.uses <= invite.max_uses and len(used) == invite.uses
            assert 1 <= invite.max_uses <= invites.USES_MAX
            assert len(invite.code_hash) == 64


# -- preferences --------------------------------------------------------------------------------

@FUZZ
@given(data=st.data())
def test_preferences_store_only_valid_values(engine, users, data):
    me = users[0]
    speakers = st.one_of(st.sampled_from([u.id for u in users]),
                         st.sampled_from([str(u.id) for u in users]), json_value)
    keys = st.one_of(st.sampled_from([*sorted(preferences.BOOLEAN_PREFERENCES),
                                      "push_to_talk_key", "theme", "user_id", "__class__"]),
                     json_value)
    values = st.one_of(st.booleans(), st.sampled_from(["KeyA", "Space", "F13", "dark", "Meta"]),
                       st.integers(-5, 205), st.floats(-1, 201), json_value)
    for _ in range(data.draw(st.integers(1, 4), label="calls")):
        kind = data.draw(st.sampled_from(["volume", "mute", "preference"]), label="kind")
        try:
            if kind == "volume":
                hearing = transaction(engine, preferences.set_volume, user=me,
                                      speaker_id=data.draw(speakers), volume=data.draw(values))
                assert isinstance(hearing.volume, int) and 0 <= hearing.volume <= 200
            elif kind == "mute":
                transaction(engine, preferences.set_muted_for_me, user=me,
                            speaker_id=data.draw(speakers), muted=data.draw(values))
            else:
                transaction(engine, preferences.set_preference, user=me, key=data.draw(keys),
                            value=data.draw(values))
        except validation.InvalidInput:
            pass
    with Session(engine) as session:
        for row in session.exec(select(ParticipantVolume)):
            assert isinstance(row.volume, int) and 0 <= row.volume <= 200
            assert isinstance(row.muted, bool) and row.listener_id != row.speaker_id
        for prefs in session.exec(select(UserPreferences)):
            for name in preferences.BOOLEAN_PREFERENCES:
                assert isinstance(getattr(prefs, name), bool)
            assert preferences.clean_key_code(prefs.push_to_talk_key) == prefs.push_to_talk_key
            assert prefs.theme in preferences.THEMES


# -- presence -----------------------------------------------------------------------------------

call_events = st.builds(
    webhooks.CallEvent,
    kind=st.one_of(st.sampled_from(["participant_joined", "participant_left",
                                    "participant_connection_aborted", "room_finished",
                                    "track_published", "track_unpublished", "room_started"]),
                   st.text(max_size=20)),
    room_name=st.one_of(st.sampled_from(["room-1", "room-2"]), st.text(max_size=20)),
    identity=st.one_of(st.sampled_from(["", "1", "2", "3"]), st.text(max_size=10)),
    participant_name=st.one_of(st.just(""), any_text),
    participant_sid=st.one_of(st.sampled_from(["", "PA_a", "PA_b"]), st.text(max_size=10)),
    screen_share=st.booleans(),
)


@FUZZ
@given(events=st.lists(call_events, max_size=30))
def test_call_events_keep_presence_consistent(events):
    import asyncio

    async def run() -> presence.MemoryPresenceStore:
        store = presence.MemoryPresenceStore()
        for event in events:
            await presence.apply_call_event(store, event)
            if event.kind == "room_finished":
                assert event.room_name not in await store.members()
        return store

    store = asyncio.run(run())
    for room, members in store._rooms.items():
        assert members, f"an empty room {room!r} was left behind"
        for identity, member in members.items():
            assert identity == member.identity and identity
            assert member.name


# -- webhooks and session tokens ------------------------------------------------------------

def _signed_webhook(body: bytes) -> str:
    settings = get_settings()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return api.AccessToken(settings.livekit_api_key.get_secret_value(),
                           settings.livekit_api_secret.get_secret_value()
                           ).with_sha256(digest).to_jwt()


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), json_value.map(lambda v: json.dumps(v).encode()),
                      st.fixed_dictionaries({"event": st.text(max_size=30), "room": json_value,
                                             "participant": json_value, "track": json_value})
                      .map(lambda v: json.dumps(v).encode())),
       authorization=st.one_of(st.text(max_size=300), st.just("sign")))
def test_webhooks_are_verified_or_refused(body, authorization):
    if authorization == "sign":
        authorization = _signed_webhook(body)
    try:
        event = webhooks.verify(body, authorization)
    except webhooks.ForgedWebhook:
        return
    assert isinstance(event, webhooks.CallEvent) and authorization != ""


@FUZZ
@given(token=st.one_of(json_value, st.text(alphabet=string.ascii_letters + string.digits
                                           + "-_.", max_size=300)),
       claims=st.dictionaries(st.sampled_from(["sub", "ver", "iat", "exp", "iss", "aud", "x"]),
                              json_scalar), sign=st.booleans())
def test_session_tokens_are_verified_or_refused(token, claims, sign):
    settings = get_settings()
    if sign:
        full = {"sub": "1", "ver": 0, "iat": int(time.time()), "exp": int(time.time()) + 60,
                "iss": settings.jwt_issuer, "aud": settings.jwt_audience, **claims}
        full = {k: (v if not (isinstance(v, float) and not math.isfinite(v)) else 0)
                for k, v in full.items()}
        try:
            token = jwt.encode(full, settings.jwt_secret.get_secret_value(), algorithm="HS256")
        except (TypeError, ValueError):
            return
    try:
        result = sessions.verify_session_token(token)
    except sessions.InvalidSession:
        return
    assert sign and isinstance(result.user_id, int) and isinstance(result.token_version, int)
