"""The connection statistics a tile's signal button opens: what this browser measures of its
own connection (or of one participant it receives), reported live by the ConnectionStats
part while the panel is open. Nothing here is stored or sent to anyone else."""

from __future__ import annotations

import dataclasses
import math

import reflex as rx

ROUTES = {"udp": "Direct (UDP)", "tcp": "TCP", "turn": "Through a TURN relay"}
TURN_TRANSPORTS = ("udp", "tcp", "tls")


@dataclasses.dataclass
class StatsView:
    rtt: str = "…"
    jitter: str = "…"
    loss_in: str = "…"
    loss_out: str = "…"
    audio_codec: str = "…"
    video_codec: str = "…"
    bitrate: str = "…"
    route: str = "…"


def _number(raw: dict, key: str, unit: str, limit: float) -> str:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "…"
    if value < 0:
        return "not measured yet"
    return f"{min(value, limit):g} {unit}"


def _codec(value: object) -> str:
    text = value if isinstance(value, str) and value.isascii() and value.isalnum() else ""
    return text[:12].upper() if text else "none"


def describe(raw: object) -> StatsView:
    """A report from the browser (a tampered one may send anything) as what the panel shows."""
    if not isinstance(raw, dict):
        return StatsView()
    route = ROUTES.get(raw.get("route"), "…") if isinstance(raw.get("route"), str) else "…"
    turn = raw.get("turn_transport")
    if route == ROUTES["turn"] and isinstance(turn, str) and turn in TURN_TRANSPORTS:
        route += f" over {turn.upper()}"
    return StatsView(
        rtt=_number(raw, "rtt_ms", "ms", 60_000), jitter=_number(raw, "jitter_ms", "ms", 60_000),
        loss_in=_number(raw, "loss_in_pct", "%", 100),
        loss_out=_number(raw, "loss_out_pct", "%", 100),
        audio_codec=_codec(raw.get("audio_codec")), video_codec=_codec(raw.get("video_codec")),
        bitrate=_number(raw, "bitrate_kbps", "kbit/s", 10_000_000), route=route,
    )


class ConnectionStatsState(rx.State):
    # the identity whose statistics panel is open in this tab, or ""
    showing: str = ""
    stats: StatsView = StatsView()

    @rx.event
    def show(self, identity: str, is_open: bool):
        """A tile's statistics panel opened or closed."""
        if not isinstance(identity, str) or not isinstance(is_open, bool):
            return
        if is_open:
            self.showing, self.stats = identity[:64], StatsView()
        elif self.showing == identity:
            self.showing = ""

    @rx.event
    def take_stats(self, raw: dict):
        """One report from the ConnectionStats part (about once a second)."""
        if isinstance(raw, dict) and self.showing and raw.get("identity") == self.showing:
            self.stats = describe(raw)
