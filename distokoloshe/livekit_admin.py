"""Talking back to LiveKit through livekit-api's LiveKitAPI (Twirp over HTTP)."""

from __future__ import annotations

import json
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


async def list_participants(room_id: int, *, settings: Settings | None = None
                            ) -> list[api.ParticipantInfo]:
    """Everyone in one room's call. Raises if LiveKit is unreachable."""
    settings = settings or get_settings()
    async with _client(settings) as client:
        response = await client.room.list_participants(
            api.ListParticipantsRequest(room=livekit_room_name(room_id))
        )
    return list(response.participants)


async def list_participant_identities(room_id: int, *,
                                      settings: Settings | None = None) -> list[str]:
    return [p.identity for p in await list_participants(room_id, settings=settings)]


async def announce_key(room_id: int, key_epoch: int, *, settings: Settings | None = None
                       ) -> bool:
    """Tell everyone in the call that the room key has changed. False if LiveKit could not
    be told."""
    return await _put_out_and_announce_key(room_id, None, key_epoch, settings=settings)


async def remove_participant_and_announce_key(room_id: int, identity: str, key_epoch: int, *,
                                              settings: Settings | None = None) -> bool:
    """Disconnect one participant, then tell the others that the room key has changed."""
    return await _put_out_and_announce_key(room_id, identity, key_epoch, settings=settings)


async def _put_out_and_announce_key(room_id: int, identity: str | None, key_epoch: int, *,
                                    settings: Settings | None) -> bool:
    """Disconnects `identity` (unless None), then announces the new key epoch through room
    metadata, which holds only the epoch number, never a key."""
    settings = settings or get_settings()
    name = livekit_room_name(room_id)
    try:
        async with _client(settings) as client:
            if identity is not None:
                try:
                    await client.room.remove_participant(
                        api.RoomParticipantIdentity(room=name, identity=identity))
                except api.TwirpError as error:
                    if error.code != "not_found":
                        raise
            await client.room.update_room_metadata(api.UpdateRoomMetadataRequest(
                room=name, metadata=json.dumps({"key_epoch": key_epoch})))
    except api.TwirpError as error:
        if error.code == "not_found":  # the call has ended; nobody to tell
            return True
        log.warning("LiveKit refused a key change in room %s: %s", room_id, error.message)
        return False
    except Exception as error:  # noqa: BLE001
        log.warning("could not reach LiveKit for a key change in room %s: %s", room_id, error)
        return False
    return True


MODERATION_TOPIC = "moderation"  # data only the server sends (browsers ignore it from peers)


async def mute_microphone(room_id: int, identity: str, *, by: str,
                          settings: Settings | None = None) -> bool:
    """Mute someone's microphone for everyone (they may unmute themselves), and tell the
    call who did it. False if they have no microphone published or LiveKit could not be
    reached."""
    settings = settings or get_settings()
    name = livekit_room_name(room_id)
    try:
        async with _client(settings) as client:
            participant = await client.room.get_participant(
                api.RoomParticipantIdentity(room=name, identity=identity))
            tracks = [track.sid for track in participant.tracks
                      if track.source == api.TrackSource.MICROPHONE]
            for sid in tracks:
                await client.room.mute_published_track(api.MuteRoomTrackRequest(
                    room=name, identity=identity, track_sid=sid, muted=True))
            if tracks:
                notice = {"action": "muted", "identity": identity, "by": by}
                await client.room.send_data(api.SendDataRequest(
                    room=name, data=json.dumps(notice).encode(),
                    kind=api.DataPacket.Kind.RELIABLE, topic=MODERATION_TOPIC))
    except api.TwirpError as error:
        log.warning("LiveKit refused to mute %s in room %s: %s", identity, room_id,
                    error.message)
        return False
    except Exception as error:  # noqa: BLE001  (network errors of several kinds)
        log.warning("could not reach LiveKit to mute %s in room %s: %s", identity, room_id,
                    error)
        return False
    return bool(tracks)


async def list_calls(*, settings: Settings | None = None) -> dict[str, list[api.ParticipantInfo]]:
    """Everyone in every call LiveKit has now, by LiveKit room name. Raises if unreachable."""
    settings = settings or get_settings()
    async with _client(settings) as client:
        listed = await client.room.list_rooms(api.ListRoomsRequest())
        calls = {}
        for room in listed.rooms:
            response = await client.room.list_participants(
                api.ListParticipantsRequest(room=room.name))
            calls[room.name] = list(response.participants)
    return calls


async def eject(livekit_room: str, identity: str, *, settings: Settings | None = None) -> bool:
    """Disconnect one participant for good (they were not admitted). False if LiveKit could
    not be reached or refused."""
    settings = settings or get_settings()
    try:
        async with _client(settings) as client:
            await client.room.remove_participant(
                api.RoomParticipantIdentity(room=livekit_room, identity=identity))
    except api.TwirpError as error:
        if error.code == "not_found":  # already gone
            return True
        log.warning("LiveKit refused to remove %s from %s: %s", identity, livekit_room,
                    error.message)
        return False
    except Exception as error:  # noqa: BLE001  (network errors of several kinds)
        log.warning("could not reach LiveKit to remove %s from %s: %s", identity,
                    livekit_room, error)
        return False
    return True
