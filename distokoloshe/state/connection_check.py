"""The connection check page: a throwaway LiveKit token on request (no account needed; so
many per client address), and what this browser found, as codes the page puts in words."""

from __future__ import annotations

import reflex as rx

from distokoloshe import connection_check, livekit_tokens, ratelimit
from distokoloshe.connection_check import CHECKS, STATUSES, Finding
from distokoloshe.settings import get_settings


class ConnectionCheckState(rx.State):
    server_url: str = ""
    # For this browser only: a throwaway room that admits no one to anyone's call.
    token: str = ""
    running: bool = False
    results: dict[str, str] = {}  # check -> status
    udp: bool = False  # the server offered media over UDP
    tcp: bool = False  # ... and over TCP, for networks that block UDP
    error: str = ""

    @rx.var
    def findings(self) -> list[Finding]:
        return connection_check.findings(self.results, udp=self.udp, tcp=self.tcp)

    @rx.var
    def done(self) -> bool:
        return not self.running and len(self.results) == len(CHECKS)

    @rx.event
    def start(self):
        """Get a check token for this browser and run the checks."""
        if self.running:
            return
        refusal = ratelimit.hit_connection_check(self.router.session.client_ip)
        if refusal is not None:
            self.error = refusal.message("connection check")
            return
        self.error, self.results, self.udp, self.tcp = "", {}, False, False
        self.server_url = get_settings().livekit_url
        self.token = livekit_tokens.mint_check_token()
        self.running = True

    @rx.event
    def record(self, check: str, status: str, udp: bool, tcp: bool):
        """What the browser found in one check. Codes only: a tampered client can mislead
        no one but itself."""
        if not self.running or check not in CHECKS or status not in STATUSES:
            return
        self.results = {**self.results, check: status}
        if check == "webrtc" and status == "success":
            self.udp, self.tcp = udp is True, tcp is True

    @rx.event
    def finish(self):
        """The browser ran every check."""
        self.running = False
        self.token = ""
