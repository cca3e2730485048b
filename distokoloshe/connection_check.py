"""What the connection check found, in plain words, with what to tell the server's operator
when something does not work. The browser reports codes (components_js/livekit/
connection_check.jsx); this turns them into sentences."""

from __future__ import annotations

import dataclasses

# The checks in the order the browser runs them, and how each can end.
CHECKS = ("websocket", "webrtc", "turn", "microphone")
STATUSES = ("running", "success", "failed", "skipped")

TITLES = {"websocket": "Reaching the call server", "webrtc": "Sound and video",
          "turn": "The TURN relay", "microphone": "Your microphone"}

SENTENCES = {
    ("websocket", "success"): "Your browser reaches the call server.",
    ("websocket", "failed"): "Your browser cannot reach the call server. Tell the server's "
        "operator that the call server (LIVEKIT_URL) does not answer from this network: a "
        "firewall may block it, or the address is wrong.",
    ("webrtc", "failed"): "Calls cannot connect: sound and video do not get through. Tell "
        "the server's operator to open the media ports (LIVEKIT_UDP_PORT_START to "
        "LIVEKIT_UDP_PORT_END, UDP) to this network, or to turn on TURN.",
    ("turn", "success"): "Calls also work through the server's TURN relay, for networks "
        "that block everything else.",
    ("turn", "skipped"): "This server has no TURN relay, so very strict networks (some "
        "offices and hotels) cannot join calls. Tell the server's operator that TURN needs "
        "a domain with a certificate.",
    ("turn", "failed"): "The server's TURN relay does not work from here. Tell the server's "
        "operator that TURN's ports (3478 UDP, 5349 TCP) must be open.",
    ("microphone", "success"): "Your microphone works, and its sound reaches the server.",
    ("microphone", "failed"): "Your microphone could not be used or sent. Check that this "
        "site may use it and that it is not muted, then run the check again.",
    ("microphone", "skipped"): "Your microphone was not checked.",
}
RUNNING = "Checking…"


@dataclasses.dataclass(frozen=True)
class Finding:
    check: str
    title: str
    status: str
    text: str


def _webrtc_success(udp: bool, tcp: bool) -> str:
    route = ("Sound and video get through over UDP, the fastest way." if udp
             else "Sound and video get through, but not over UDP, so calls may lag.")
    fallback = ("On networks that block UDP they can fall back to TCP." if tcp
                else "The server offers no TCP fallback for networks that block UDP; its "
                     "operator can turn on LiveKit's ICE over TCP (rtc.tcp_port).")
    return f"{route} {fallback}"


def describe(check: str, status: str, *, udp: bool, tcp: bool) -> str:
    if status == "running":
        return RUNNING
    if (check, status) == ("webrtc", "success"):
        return _webrtc_success(udp, tcp)
    return SENTENCES.get((check, status), f"{TITLES.get(check, check)}: {status}.")


def findings(results: dict[str, str], *, udp: bool, tcp: bool) -> list[Finding]:
    """One finding per check the browser has started, in the order it runs them."""
    return [Finding(check, TITLES[check], results[check],
                    describe(check, results[check], udp=udp, tcp=tcp))
            for check in CHECKS if results.get(check) in STATUSES]
