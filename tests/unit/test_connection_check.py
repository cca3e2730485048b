"""The connection check in words: what a person reads for each outcome, and who to ask."""

from __future__ import annotations

from distokoloshe.connection_check import CHECKS, RUNNING, findings


def test_findings_follow_the_order_of_the_checks_and_skip_unknown_codes():
    results = {"microphone": "success", "websocket": "success", "turn": "skipped",
               "webrtc": "running", "made-up": "success", "websocket-ish": "failed"}
    found = findings(results, udp=False, tcp=False)
    assert [f.check for f in found] == list(CHECKS)
    assert found[1].text == RUNNING
    assert findings({"websocket": "exploded"}, udp=True, tcp=True) == []


def test_what_does_not_work_says_what_to_tell_the_operator():
    found = {f.check: f.text for f in findings(
        {"websocket": "failed", "webrtc": "failed", "turn": "skipped", "microphone": "failed"},
        udp=False, tcp=False)}
    assert "operator" in found["websocket"] and "LIVEKIT_URL" in found["websocket"]
    assert "LIVEKIT_UDP_PORT_START" in found["webrtc"]
    assert "no TURN relay" in found["turn"]
    assert "may use it" in found["microphone"]


def test_working_media_says_whether_udp_and_a_tcp_fallback_are_there():
    def webrtc(udp: bool, tcp: bool) -> str:
        return findings({"webrtc": "success"}, udp=udp, tcp=tcp)[0].text

    assert "over UDP, the fastest way" in webrtc(True, True)
    assert "fall back to TCP" in webrtc(True, True)
    assert "no TCP fallback" in webrtc(True, False)
    assert "not over UDP" in webrtc(False, True)

