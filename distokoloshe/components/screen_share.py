"""Sharing your screen (quality, codec, audio) and watching someone else's."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.livekit import participant_level, participant_video
from distokoloshe.state.call import CallState, ParticipantView
from distokoloshe.state.screen_share import PRESETS, ScreenShareState


def _select(label: str, field_id: str, options, value, on_change) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="dtk-label"),
        rx.el.select(*options, id=field_id, value=value, on_change=on_change,
                     class_name="dtk-select"),
        spacing="1",
        width="100%",
    )


def share_settings() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(rx.icon("monitor_cog", size=18), aria_label="Screen share settings",
                           variant="soft", color_scheme="gray", size="3"),
        ),
        rx.popover.content(
            rx.vstack(
                _select("Quality", "share-preset",
                        [rx.el.option(p.label, value=value) for value, p in PRESETS.items()],
                        ScreenShareState.preset, ScreenShareState.choose_preset),
                _select("Codec", "share-codec",
                        [rx.foreach(ScreenShareState.codec_choices,
                                    lambda c: rx.el.option(c[1], value=c[0]))],
                        ScreenShareState.codec, ScreenShareState.choose_codec),
                rx.checkbox("Share the screen's audio too", checked=ScreenShareState.share_audio,
                            on_change=ScreenShareState.set_share_audio),
                rx.text("Changes apply to the next share, or restart the current one.",
                        size="1", color_scheme="gray"),
                spacing="3",
                width="18em",
            ),
        ),
    )


def share_button() -> rx.Component:
    return rx.button(
        rx.cond(ScreenShareState.sharing,
                rx.icon("screen_share_off", size=18, aria_hidden="true"),
                rx.icon("screen_share", size=18, aria_hidden="true")),
        rx.text(rx.cond(ScreenShareState.sharing, "Stop sharing", "Share screen"),
                display=["none", "inline"]),
        on_click=ScreenShareState.toggle_sharing,
        aria_label=rx.cond(ScreenShareState.sharing, "Stop sharing", "Share screen"),
        aria_pressed=ScreenShareState.sharing,
        variant="soft",
        color_scheme=rx.cond(ScreenShareState.sharing, "green", "gray"),
        size="3",
    )


def share_note() -> rx.Component:
    return rx.cond(
        ScreenShareState.share_note != "",
        rx.callout(ScreenShareState.share_note, icon="info", color_scheme="blue", role="status",
                   data_testid="share-note", width="100%"),
    )


def _sharer_option(participant: rx.Var[ParticipantView]) -> rx.Component:
    return rx.el.option(participant.name, value=participant.identity)


def shown_share() -> rx.Var[str]:
    """Whose share the viewer shows: the one picked while it lasts, else the first."""
    picked = ScreenShareState.watching
    return rx.cond(CallState.sharer_ids.contains(picked), picked, CallState.sharer_ids[0])


def screen_viewer() -> rx.Component:
    """The shared screen, large, when anyone in the call is sharing."""
    shown = shown_share()
    return rx.cond(
        CallState.sharers.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.el.label("Watching", html_for="watching", class_name="dtk-label"),
                rx.el.select(rx.foreach(CallState.sharers, _sharer_option), id="watching",
                             value=shown, on_change=ScreenShareState.watch,
                             class_name="dtk-select", style={"width": "auto"}),
                rx.spacer(),
                rx.button(rx.cond(ScreenShareState.fit == "fit", "Fill", "Fit"),
                          on_click=ScreenShareState.toggle_fit, variant="soft", size="2",
                          aria_label=rx.cond(ScreenShareState.fit == "fit",
                                             "Fill the frame", "Fit the whole screen")),
                rx.icon_button(rx.icon("maximize", size=16),
                               on_click=ScreenShareState.go_fullscreen,
                               aria_label="Fullscreen", variant="soft", size="2"),
                rx.icon_button(rx.icon("picture_in_picture_2", size=16),
                               on_click=ScreenShareState.pop_out,
                               aria_label="Pop out (picture-in-picture)", variant="soft",
                               size="2"),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="2",
            ),
            participant_video(identity=shown, source="screen", fit=ScreenShareState.fit,
                              command=ScreenShareState.view_command,
                              command_seq=ScreenShareState.view_command_seq,
                              width="100%", max_height="70vh", background="black",
                              border_radius="8px", aria_label="Shared screen",
                              data_testid="screen-view"),
            rx.hstack(
                rx.el.label("Screen audio", html_for="screen-audio-volume",
                            class_name="dtk-label"),
                rx.el.input(type="range", min=0, max=200, step=5, default_value=100,
                            id="screen-audio-volume",
                            on_change=lambda v: ScreenShareState.set_audio_volume(
                                shown, v).debounce(150),
                            class_name="dtk-volume"),
                participant_level(identity=shown + "#screen",
                                  aria_label="Level of the shared screen's audio",
                                  class_name="dtk-level"),
                width="100%",
                align="center",
                spacing="2",
            ),
            width="100%",
            spacing="2",
        ),
    )
