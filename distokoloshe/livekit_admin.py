"""Talking back to LiveKit through livekit-api's LiveKitAPI (Twirp over HTTP)."""

from __future__ import annotations

import logging

from livekit import api

from distokoloshe.livekit_tokens import livekit_room_name
from distokoloshe.settings import Settings, get_settings

log = logging.getLogger(__name__)


def _client(settings: Settings) -> api.LiveKitAPI:
    return api.LiveKitAPI(
        url=settings.effective_livekit_api_url,
        api_key=settings.livekit_api_key.get_secret_value(),
        api_secret=settings.livekit_api_secret.get_secret_value(),
    )


async def close_room(room_id: int, *, settings: Settings | None = None) -> bool:
    """Disconnect everyone from a room's call. False if LiveKit could not be reached."""
    settings = settings or get_settings()
    try:
        async with _client(settings) as client:
            await client.room.delete_room(api.DeleteRoomRequest(room=livekit_room_name(room_id)))
    except api.TwirpError as error:
        if error.code == "not_found":  # nobody was in the call
            return True
        log.warning("LiveKit refused to close room %s: %s", room_id, error.message)
        return False
    except Exception as error:  # noqa: BLE001  (network errors of several kinds)
        log.warning("could not reach LiveKit to close room %s: %s", room_id, error)
        return False
    return True


async def list_participant_identities(room_id: int, *, settings: Settings | None = None) -> list[str]:
    settings = settings or get_settings()
    async with _client(settings) as client:
        response = await client.room.list_participants(
            api.ListParticipantsRequest(room=livekit_room_name(room_id))
        )
    return [participant.identity for participant in response.participants]
