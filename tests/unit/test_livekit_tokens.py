"""Join tokens carry exactly the grants a call needs, for one room, for a short time."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
from livekit import api

from distokoloshe import livekit_tokens
from distokoloshe.models import Room, User
from distokoloshe.settings import get_settings


def _verify(token: str) -> api.Claims:
    settings = get_settings()
    return api.TokenVerifier(settings.livekit_api_key.get_secret_value(),
                             settings.livekit_api_secret.get_secret_value()).verify(token)


def test_join_token_grants_one_room_and_nothing_more():
    user = User(id=7, username="zodwa", username_key="zodwa", display_name="Zodwa M",
                password_hash="x")
    room = Room(id=3, name="General", name_key="general", owner_id=1)
    claims = _verify(livekit_tokens.mint_join_token(user, room))

    assert claims.identity == "7"
    assert claims.name == "Zodwa M"
    grants = claims.video
    assert grants.room_join is True
    assert grants.room == "room-3"
    assert (grants.can_publish, grants.can_subscribe, grants.can_publish_data) == (True, True, True)
    assert grants.can_update_own_metadata is False
    for forbidden in ("room_admin", "room_create", "room_list", "room_record", "ingress_admin",
                      "hidden", "recorder", "agent"):
        assert not getattr(grants, forbidden), forbidden


def test_join_token_lives_at_most_ten_minutes():
    user = User(id=1, username="a", username_key="a", display_name="A", password_hash="x")
    room = Room(id=1, name="R", name_key="r", owner_id=1)
    token = livekit_tokens.mint_join_token(user, room, ttl=timedelta(hours=5))
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["exp"] - time.time() <= 10 * 60 + 2


def test_check_token_is_for_a_throwaway_room_that_only_takes_a_microphone():
    first, second = (_verify(livekit_tokens.mint_check_token()) for _ in range(2))
    grants = first.video
    assert grants.room.startswith("check-") and first.identity.startswith("check-")
    assert grants.room != second.video.room  # every check has a room of its own
    assert livekit_tokens.room_id_of(grants.room) is None  # never one of the app's rooms
    assert (grants.room_join, grants.can_publish) == (True, True)
    assert list(grants.can_publish_sources) == ["microphone"]
    assert (grants.can_subscribe, grants.can_publish_data) == (False, False)
    for forbidden in ("room_admin", "room_create", "room_list", "room_record", "hidden",
                      "can_update_own_metadata"):
        assert not getattr(grants, forbidden), forbidden


def test_check_token_lives_two_minutes():
    payload = jwt.decode(livekit_tokens.mint_check_token(), options={"verify_signature": False})
    assert payload["exp"] - time.time() <= 2 * 60 + 2
