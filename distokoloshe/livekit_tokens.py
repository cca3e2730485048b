"""LiveKit join tokens: one room, the least grants that a call needs, a short life."""

from __future__ import annotations

from datetime import timedelta

from livekit import api

from distokoloshe.models import Room, User
from distokoloshe.settings import Settings, get_settings

# LiveKit refreshes a connected participant's token itself, so this only has to
# outlive the time between minting and connecting.
JOIN_TOKEN_TTL = timedelta(minutes=10)


def livekit_room_name(room_id: int) -> str:
    return f"room-{room_id}"


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
        .with_grants(grants)
        .with_ttl(min(ttl, JOIN_TOKEN_TTL))
        .to_jwt()
    )
