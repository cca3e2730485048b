"""A headless lobby tab: speaks Reflex's websocket protocol (Engine.IO 4 / Socket.IO 5 over
a plain websocket) with as little client-side work as possible, so hundreds of them on one
core measure the backend, not themselves.

It connects like the real frontend: the hydrate-and-load boot event rides in the namespace
CONNECT packet with the signed-in session from "localStorage", so the lobby's on_load runs
(sign-in check, preferences, presence subscription, last room). Every text frame received
is kept with its arrival time; callers look for markers in the raw text.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
import uuid

from tests.support.reflex_client import NAMESPACE, boot_event

ONLINE_KEY = '"online_rx_state_":['


class ReflexTab(asyncio.Protocol):
    def __init__(self, session_token: str) -> None:
        self.session_token = session_token
        self.client_token = str(uuid.uuid4())
        self.frames: list[tuple[float, str]] = []    # (perf_counter at arrival, text)
        self.watch: dict[str, float] = {}            # marker -> first arrival
        self.markers: list[str] = []
        self.online_counts: list[tuple[float, int]] = []   # (arrival, how many online)
        self.connected = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._handshaken = False
        self.transport: asyncio.Transport | None = None

    # -- websocket framing -------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        self._host = "%s:%s" % transport.get_extra_info("peername")[:2]
        transport.write((
            f"GET {NAMESPACE}/?EIO=4&transport=websocket&token={self.client_token} HTTP/1.1\r\n"
            f"Host: {self._host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Origin: http://{self._host}\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())

    def _send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self._buffer += data
        if not self._handshaken:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self._buffer.startswith(b"HTTP/1.1 101"):
                self._fail(RuntimeError(bytes(self._buffer[:200]).decode("latin-1")))
                return
            del self._buffer[:end + 4]
            self._handshaken = True
        while True:
            frame = self._next_frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x1:
                self._on_text(now, payload.decode())
            elif opcode == 0x9:  # the server's websocket ping; unanswered, it hangs up
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                self.transport.close()
                return

    def _next_frame(self) -> tuple[int, bytes] | None:
        buf = self._buffer
        if len(buf) < 2:
            return None
        opcode, length, offset = buf[0] & 0x0F, buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = struct.unpack_from("!H", buf, 2)[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = struct.unpack_from("!Q", buf, 2)[0], 10
        if len(buf) < offset + length:
            return None
        payload = bytes(buf[offset:offset + length])
        del buf[:offset + length]
        return opcode, payload

    # -- Engine.IO / Socket.IO ---------------------------------------------------------------

    def _on_text(self, now: float, text: str) -> None:
        kind = text[:1]
        if kind == "0":                                   # Engine.IO open: join the namespace
            self._send(f"40{NAMESPACE}," + json.dumps({"event": self._boot_event()}))
        elif kind == "2":                                 # Engine.IO ping
            self._send("3")
        elif text.startswith(f"40{NAMESPACE}"):
            if not self.connected.done():
                self.connected.set_result(now)
        elif text.startswith(f"42{NAMESPACE}"):
            start = text.find(ONLINE_KEY)
            if start >= 0:  # counted without parsing: cheap enough for hundreds of tabs
                listed = text[start + len(ONLINE_KEY):text.index("]", start)]
                self.online_counts.append((now, listed.count(",") + 1 if listed else 0))
            for marker in self.markers:
                if marker not in self.watch and marker in text:
                    self.watch[marker] = now
            self.frames.append((now, text))
        elif text.startswith(f"44{NAMESPACE}"):
            self._fail(RuntimeError(text))

    def _boot_event(self) -> dict:
        return boot_event(self.session_token)

    def _fail(self, error: Exception) -> None:
        if not self.connected.done():
            self.connected.set_exception(error)
        if self.transport:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.connected.done():
            self.connected.set_exception(exc or ConnectionError("closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        if self.transport:
            self.transport.close()

    def last_value(self, var: str):
        """The newest value of a PresenceState var this tab received, parsed."""
        key = f'"{var}_rx_state_":'
        for _, text in reversed(self.frames):
            if key in text:
                payload = json.loads(text[text.index(","):][1:])
                for delta in payload[1]["delta"].values():
                    if var + "_rx_state_" in delta:
                        return delta[var + "_rx_state_"]
        return None


async def open_tab(port: int, session_token: str) -> ReflexTab:
    loop = asyncio.get_running_loop()
    _, tab = await loop.create_connection(lambda: ReflexTab(session_token), "127.0.0.1", port)
    await asyncio.wait_for(tab.connected, 30)
    return tab
