"""LiveKit webhooks: checked with livekit-api's WebhookReceiver before anything is believed."""

from __future__ import annotations

import dataclasses
import logging

from livekit import api

from distokoloshe.settings import Settings, get_settings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024


class ForgedWebhook(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class CallEvent:
    """What a verified webhook says happened."""

    kind: str          # participant_joined, participant_left, room_finished, ...
    room_name: str
    identity: str      # empty for room events


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
    except Exception as error:  # noqa: BLE001  (bad JWT, bad hash, bad JSON: all forged)
        raise ForgedWebhook(str(error)) from error
    return CallEvent(kind=event.event, room_name=event.room.name,
                     identity=event.participant.identity if event.HasField("participant") else "")
