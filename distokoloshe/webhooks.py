"""LiveKit webhooks: checked with livekit-api's WebhookReceiver before anything is believed."""

from __future__ import annotations

import dataclasses
import logging

from livekit import api

from distokoloshe.livekit_tokens import SESSION_VERSION_ATTRIBUTE
from distokoloshe.settings import Settings, get_settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024


class ForgedWebhook(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class CallEvent:
    """What a verified webhook says happened."""

    kind: str          # participant_joined, participant_left, room_finished, track_published...
    room_name: str
    identity: str      # empty for room events
    participant_name: str = ""
    participant_sid: str = ""
    screen_share: bool = False   # a track event about a screen-share video track
    session_version: str = ""    # what the participant's join token said (livekit_tokens)
    event_id: str = ""           # LiveKit's id of this event: a replay carries the same one
    created_at: int = 0          # when LiveKit made it, unix seconds


def verify(body: bytes, authorization: str, *, settings: Settings | None = None) -> CallEvent:
    settings = settings or get_settings()
    if not authorization or len(body) > MAX_BODY_BYTES:
        raise ForgedWebhook("missing signature or oversized body")
    receiver = api.WebhookReceiver(api.TokenVerifier(
        settings.livekit_api_key.get_secret_value(),
        settings.livekit_api_secret.get_secret_value(),
    ))
    try:
        event = receiver.receive(body.decode("utf-8"), authorization)
    except Exception as error:
        raise ForgedWebhook(str(error)) from error
    participant = event.participant if event.HasField("participant") else None
    return CallEvent(
        kind=event.event, room_name=event.room.name,
        identity=participant.identity if participant else "",
        participant_name=participant.name if participant else "",
        participant_sid=participant.sid if participant else "",
        screen_share=event.HasField("track") and event.track.source == api.TrackSource.SCREEN_SHARE,
        session_version=(participant.attributes.get(SESSION_VERSION_ATTRIBUTE, "")
                         if participant else ""),
        event_id=event.id, created_at=event.created_at,
    )
