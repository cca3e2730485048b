"""A tile's signal button and the live connection statistics it opens."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.livekit import connection_stats
from distokoloshe.state.call import ParticipantView
from distokoloshe.state.connection_stats import ConnectionStatsState


def _row(label: str | rx.Var[str], value: rx.Var[str], test_id: str) -> rx.Component:
    return rx.fragment(rx.el.dt(label), rx.el.dd(value, data_testid=test_id))


def stats_button(participant: rx.Var[ParticipantView], quality: rx.Var) -> rx.Component:
    stats = ConnectionStatsState.stats
    title = rx.cond(participant.is_local, "Your connection",
                    "Your connection to " + participant.name)
    return rx.popover.root(
        rx.popover.trigger(
            rx.icon_button(rx.icon("signal", size=16), variant="ghost", size="1",
                           aria_label=f"Connection statistics for {participant.name} "
                           f"({quality})",
                           title=f"Connection: {quality}"),
        ),
        rx.popover.content(
            rx.heading(title, size="2", as_="h3"),
            rx.el.dl(
                _row("Round trip to the server", stats.rtt, "stats-rtt"),
                _row("Jitter", stats.jitter, "stats-jitter"),
                _row("Packet loss in", stats.loss_in, "stats-loss-in"),
                rx.cond(participant.is_local,
                        _row("Packet loss out", stats.loss_out, "stats-loss-out")),
                _row("Audio codec", stats.audio_codec, "stats-audio-codec"),
                _row("Video codec", stats.video_codec, "stats-video-codec"),
                _row(rx.cond(participant.is_local, "Sending", "Receiving"), stats.bitrate,
                     "stats-bitrate"),
                _row("Connection", stats.route, "stats-route"),
                class_name="dtk-shortcuts",
            ),
            rx.cond(ConnectionStatsState.showing == participant.identity,
                    connection_stats(identity=participant.identity,
                                     on_stats=ConnectionStatsState.take_stats)),
            aria_label="Connection statistics",
            data_testid="connection-stats",
        ),
        on_open_change=lambda is_open: ConnectionStatsState.show(participant.identity, is_open),
    )
