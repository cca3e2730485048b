"""The call bridge in one tab: what extensions send into this tab's call and play into it,
what the others in the call send them, and how loud each player's clips are for this
listener.

Extensions reach it only through `distokoloshe.extend` (extend/call_bridge.py): their
states queue a data message or a clip here, the browser's CallBridge part carries it into
the call and reports back. What another participant sends arrives with the sender LiveKit
attached to the packet (identity = user id, name = display name, both from the join token
the backend minted), never a sender named in the payload, and goes to the handler the
extension registered for its topic (`Extension.call_data`), in this tab's state.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
import time
from typing import Any

import reflex as rx

from distokoloshe.extension_registry import active
from distokoloshe.extension_spec import KEY as TOPIC_NAME
from distokoloshe.extension_spec import NAME as EXTENSION_NAME
from distokoloshe.state.call import CallState
from distokoloshe.state.session import SignedIn

log = logging.getLogger(__name__)

# what one data message may carry, as JSON in UTF-8 (components_js/livekit/call_bridge.jsx
# drops anything larger too)
MAX_DATA_BYTES = 4096
MAX_CLIP_BYTES = 1_000_000
OUTBOX_LIMIT = 16
WIRE_TOPIC = re.compile(r"ext:([a-z][a-z0-9_]{1,31}):([a-z][a-z0-9_]{0,31})")
AUDIO_MIME = re.compile(r"audio/[a-z0-9][a-z0-9.+-]{0,40}")
IDENTITY = re.compile(r"[1-9][0-9]{0,17}")
# The CallBridge part's clip results, worded ("playing" needs no words).
CLIP_ERRORS = {
    "undecodable": "Your browser could not decode this clip, so it was not played.",
    "not_published": "The clip could not be sent into the call. Try again.",
}


@dataclasses.dataclass
class OutgoingData:
    seq: int
    topic: str      # "ext:<extension>:<topic>"
    payload: str    # JSON


@dataclasses.dataclass
class ClipToPlay:
    seq: int = 0
    extension: str = ""
    url: str = ""   # "data:<mime>;base64,...", cleared once the browser started it


def wire_topic(extension: str, topic: str) -> str:
    return f"ext:{extension}:{topic}"


def encode_data(data: object) -> str | None:
    """`data` as the JSON a data message carries, or None when it is not a JSON object or
    is larger than MAX_DATA_BYTES."""
    if not isinstance(data, dict):
        return None
    try:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return text if len(text.encode()) <= MAX_DATA_BYTES else None


def decode_data(payload: object) -> dict | None:
    """What another participant sent, if it is a small JSON object; else None."""
    if not isinstance(payload, str) or len(payload.encode(errors="replace")) > MAX_DATA_BYTES:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


class CallBridgeState(SignedIn, rx.State):
    # this tab's data messages not yet handed to the call, oldest first
    outbox: list[OutgoingData] = []
    # the clip this tab's browser is to play into the call next
    clip: ClipToPlay = ClipToPlay()
    clip_error: str = ""
    # this listener's volume for each player's clips (identity -> percent) and whom they muted
    clip_volumes: dict[str, int] = {}
    clips_muted: list[str] = []
    _seq: int = 0

    @rx.var
    def clip_gains(self) -> dict[str, float]:
        gains = {identity: volume / 100 for identity, volume in self.clip_volumes.items()}
        gains.update({identity: 0.0 for identity in self.clips_muted})
        return gains

    def _next_seq(self) -> int:
        # from the clock, so a backend state made anew never repeats a number the
        # browser's part has already seen
        self._seq = max(self._seq + 1, time.time_ns() // 1_000_000)
        return self._seq

    async def _in_call(self) -> bool:
        return (await self.get_state(CallState)).in_call

    async def _send(self, extension: str, topic: str, data: object) -> bool:
        """Queues a data message for everyone else in this tab's call; False (and nothing
        sent) when not in a call, or the message is not a small JSON object."""
        payload = encode_data(data)
        if (payload is None or not isinstance(extension, str)
                or not EXTENSION_NAME.fullmatch(extension) or not isinstance(topic, str)
                or not TOPIC_NAME.fullmatch(topic) or not await self._in_call()):
            return False
        message = OutgoingData(self._next_seq(), wire_topic(extension, topic), payload)
        self.outbox = [*self.outbox[-(OUTBOX_LIMIT - 1):], message]
        return True

    async def _play(self, extension: str, data: object, mime: object) -> bool:
        """Has this tab's browser play `data` (audio of type `mime`) into the call on the
        extension's clip track; False when not in a call or not a clip."""
        if (not isinstance(data, bytes) or not 0 < len(data) <= MAX_CLIP_BYTES
                or not isinstance(mime, str) or not AUDIO_MIME.fullmatch(mime)
                or not isinstance(extension, str) or not EXTENSION_NAME.fullmatch(extension)
                or not await self._in_call()):
            return False
        url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        self.clip = ClipToPlay(self._next_seq(), extension, url)
        self.clip_error = ""
        return True

    @rx.event
    def sent(self, seq: int):
        """The browser handed every message up to `seq` to the call."""
        if isinstance(seq, int) and not isinstance(seq, bool):
            self.outbox = [message for message in self.outbox if message.seq > seq]

    @rx.event
    def clip_result(self, seq: int, code: str):
        """The browser started the clip `seq` ("playing") or could not (a CLIP_ERRORS
        code); either way its bytes leave the state."""
        if not isinstance(seq, int) or isinstance(seq, bool) or seq != self.clip.seq:
            return
        self.clip = ClipToPlay()
        self.clip_error = CLIP_ERRORS.get(code, "") if isinstance(code, str) else ""

    @rx.event
    async def receive(self, topic: str, identity: str, name: str, payload: str):
        """Another participant's data message, with the sender LiveKit attached to it: on to
        the handler its extension registered for the topic, as (sender_id, sender_name,
        data). Anything malformed is dropped."""
        found = WIRE_TOPIC.fullmatch(topic) if isinstance(topic, str) else None
        data = decode_data(payload)
        if (found is None or data is None or not isinstance(identity, str)
                or not IDENTITY.fullmatch(identity) or not isinstance(name, str)):
            return None
        handler = active().call_data_handler(*found.groups())
        if handler is None or not await self._in_call():
            return None
        try:
            return handler(int(identity), name.strip()[:64] or identity, data)
        except Exception:  # an extension's mistake must not break the core's handler
            log.exception("extension %s: its call data handler for %r failed", *found.groups())
            return None

    @rx.event
    def set_clip_volume(self, identity: str, value: Any):
        """This listener's volume (0-200%) for the clips `identity` plays."""
        try:
            volume = round(float(value))
        except (TypeError, ValueError, OverflowError):
            return
        if (isinstance(identity, str) and IDENTITY.fullmatch(identity) and 0 <= volume <= 200
                and (identity in self.clip_volumes or len(self.clip_volumes) < 500)):
            self.clip_volumes = {**self.clip_volumes, identity: volume}

    @rx.event
    def toggle_clips_muted(self, identity: str):
        """Mute, or unmute, the clips `identity` plays, for this listener only."""
        if not isinstance(identity, str) or not IDENTITY.fullmatch(identity):
            return
        if identity in self.clips_muted:
            self.clips_muted = [muted for muted in self.clips_muted if muted != identity]
        else:
            self.clips_muted = [*self.clips_muted, identity][-500:]
