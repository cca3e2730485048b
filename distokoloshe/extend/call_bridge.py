"""The call bridge for extensions: data messages to everyone in my call, a clip played into
it as a track of its own, and the listener's volume for the clips others play. No
JavaScript: the core's CallBridge part carries both into the call, end-to-end encrypted
when the call is.

    await send_to_call(self, "soundboard", "played", {"clip": 3, "title": "Airhorn"})
    await play_clip(self, "soundboard", data, "audio/ogg")

Every other participant's tab gets the message in the handler the extension registered as
`Extension(call_data={"played": MyState.heard})`, called in that tab's state as
`heard(sender_id: int, sender_name: str, data: dict)`. The sender is who LiveKit says sent
the packet (the user id and display name of their join token), never a field of `data`.
"""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.call_bridge import clip_volume, clip_volumes
from distokoloshe.state.call_bridge import MAX_CLIP_BYTES, MAX_DATA_BYTES, CallBridgeState

__all__ = ["MAX_CLIP_BYTES", "MAX_DATA_BYTES", "clip_volume", "clip_volumes", "play_clip",
           "send_to_call"]


async def send_to_call(state: rx.State, extension: str, topic: str, data: dict) -> bool:
    """Sends `data` (a JSON object of at most MAX_DATA_BYTES) to everyone else in the call
    of `state`'s tab, on the extension's `topic`. False, and nothing sent, when that tab is
    in no call or `data` is not a small JSON object. Call it from an event handler."""
    bridge = await state.get_state(CallBridgeState)
    return await bridge._send(extension, topic, data)


async def play_clip(state: rx.State, extension: str, data: bytes, mime: str) -> bool:
    """Plays `data` (audio of type `mime`, at most MAX_CLIP_BYTES) into the call of
    `state`'s tab, on the extension's own track; the player hears it too. False when that
    tab is in no call or it is not a clip. Check the clip's content before: the player's
    browser decodes whatever it is given."""
    bridge = await state.get_state(CallBridgeState)
    return await bridge._play(extension, data, mime)
