"""What a listener sets for the clips others play into the call through extensions: a
volume slider (0-200%), a mute for this listener only, and a level meter, per player."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.livekit import participant_level
from distokoloshe.state.call import CallState, ParticipantView
from distokoloshe.state.call_bridge import CallBridgeState


def clip_volume(extension: str, identity: rx.Var[str], name: rx.Var[str]) -> rx.Component:
    """The volume, mute and level of the clips `identity` (whose display name is `name`)
    plays through `extension`; the volume and mute apply to all their clips."""
    known = CallBridgeState.clip_volumes.contains(identity)
    volume = rx.cond(known, CallBridgeState.clip_volumes[identity], 100)
    muted = CallBridgeState.clips_muted.contains(identity)
    return rx.vstack(
        rx.hstack(
            rx.text(name, size="2", min_width="6em", overflow="hidden",
                    text_overflow="ellipsis", white_space="nowrap"),
            rx.el.input(
                type="range", min=0, max=200, step=5, default_value=volume,
                on_change=lambda value: CallBridgeState.set_clip_volume(identity,
                                                                        value).debounce(150),
                aria_label=name + "'s clips, volume",
                disabled=muted,
                class_name="dtk-volume",
            ),
            rx.text(volume.to_string() + "%", size="1", min_width="3em", text_align="right"),
            rx.icon_button(
                rx.cond(muted, rx.icon("volume_x", size=16), rx.icon("volume_2", size=16)),
                on_click=CallBridgeState.toggle_clips_muted(identity),
                aria_label="Mute " + name + "'s clips for me",
                aria_pressed=muted,
                variant=rx.cond(muted, "solid", "soft"),
                color_scheme=rx.cond(muted, "red", "gray"),
                size="1",
            ),
            width="100%", align="center", spacing="2",
        ),
        participant_level(identity=identity + f"#clip:{extension}",
                          aria_label=name + "'s clips, level", class_name="dtk-level"),
        width="100%", spacing="1",
    )


def clip_volumes(extension: str) -> rx.Component:
    """clip_volume for everyone else in this tab's call."""

    def row(participant: rx.Var[ParticipantView]) -> rx.Component:
        return rx.cond(~participant.is_local,
                       clip_volume(extension, participant.identity, participant.name))

    return rx.vstack(rx.foreach(CallState.participants, row), width="100%", spacing="2")
