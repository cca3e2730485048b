"""LiveKit join tokens: one room, the least grants that a call needs, a short life."""

from __future__ import annotations

import secrets
from datetime import timedelta

from livekit import api

from distokoloshe.models import Room, User
from distokoloshe.settings import Settings, get_settings
from distokoloshe.validation import number_in

# LiveKit refreshes a connected participant's token itself, so this only has to
# outlive the time between minting and connecting.
JOIN_TOKEN_TTL = timedelta(minutes=10)


def livekit_room_name(room_id: int) -> str:
    return f"room-{room_id}"


# Set from the token, which the participant cannot change (can_update_own_metadata is
# false): a participant whose session version is behind its user's was signed out
# everywhere (or disabled) and is put out of the call when it shows up (calls.may_stay).
SESSION_VERSION_ATTRIBUTE = "session_version"


def room_id_of(livekit_room: str) -> int | None:
    """The app's room id behind a LiveKit room name, or None for rooms that are not ours."""
    prefix, _, number = livekit_room.partition("-")
    return number_in(number, 18) if prefix == "room" else None


def user_id_of(identity: str) -> int | None:
    return number_in(identity, 18)


def participant_identity(user_id: int) -> str:
    return str(user_id)


def mint_join_token(user: User, room: Room, *, settings: Settings | None = None,
                    ttl: timedelta = JOIN_TOKEN_TTL) -> str:
    settings = settings or get_settings()
    grants = api.VideoGrants(
        room_join=True,
        room=livekit_room_name(room.id),
        can_publish=True,
        can_subscribe=True,
        can_publish_data=True,
        can_update_own_metadata=False,
    )
    return (
        api.AccessToken(settings.livekit_api_key.get_secret_value(),
                        settings.livekit_api_secret.get_secret_value())
        .with_identity(participant_identity(user.id))
        .with_name(user.display_name)
        .with_attributes({SESSION_VERSION_ATTRIBUTE: str(user.token_version)})
        .with_grants(grants)
        .with_ttl(min(ttl, JOIN_TOKEN_TTL))
        .to_jwt()
    )


# The connection check (before logging in) connects several times in a minute or so.
CHECK_TOKEN_TTL = timedelta(minutes=2)
CHECK_PREFIX = "check-"


def mint_check_token(*, settings: Settings | None = None) -> str:
    """A token for the connection check: a throwaway room of its own (never one of ours:
    room_id_of ignores it), that may publish only a microphone and receive nothing, for
    two minutes. It admits no one to anyone's call, so it needs no account."""
    settings = settings or get_settings()
    tag = secrets.token_hex(8)
    grants = api.VideoGrants(room_join=True, room=f"{CHECK_PREFIX}{tag}", can_publish=True,
                             can_publish_sources=["microphone"], can_subscribe=False,
                             can_publish_data=False, can_update_own_metadata=False)
    return (
        api.AccessToken(settings.livekit_api_key.get_secret_value(),
                        settings.livekit_api_secret.get_secret_value())
        .with_identity(f"{CHECK_PREFIX}{tag}")
        .with_name("Connection check")
        .with_grants(grants)
        .with_ttl(CHECK_TOKEN_TTL)
        .to_jwt()
    )
