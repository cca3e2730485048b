"""What the statistics panel shows of a browser's report, including a tampered one."""

from __future__ import annotations

import pytest

from distokoloshe.state.connection_stats import StatsView, describe


def test_a_report_reads_as_units_and_words():
    view = describe({"identity": "7", "rtt_ms": 12.5, "jitter_ms": 3, "loss_in_pct": 0,
                     "loss_out_pct": -1, "audio_codec": "opus", "video_codec": "",
                     "bitrate_kbps": 41, "route": "turn", "turn_transport": "tcp"})
    assert view == StatsView(rtt="12.5 ms", jitter="3 ms", loss_in="0 %",
                             loss_out="not measured yet", audio_codec="OPUS",
                             video_codec="none", bitrate="41 kbit/s",
                             route="Through a TURN relay over TCP")


@pytest.mark.parametrize("raw", [None, [], "x", {"rtt_ms": float("nan"), "route": ["udp"],
                                                 "audio_codec": "<b>", "bitrate_kbps": True,
                                                 "turn_transport": "carrier pigeon"}])
def test_a_tampered_report_shows_nothing_it_made_up(raw):
    view = describe(raw)
    assert "<" not in view.audio_codec and view.rtt == "…" and view.route == "…"
    assert view.bitrate == "…"
