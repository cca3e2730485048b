"""One Engine.IO packet written to many websockets at the cost of one write each.

python-engineio queues each packet for a writer task of its socket, which wakes, encodes
it and hands it down the ASGI send chain to the websockets library: per socket, a task
switch and a dozen calls. With hundreds of lobby tabs that path was most of what a presence
change cost the backend. Here the websocket frame is built once (RFC 6455: FIN, text,
unmasked as a server's frames are, uncompressed, which is valid on a connection that
negotiated permessage-deflate too) and written to each socket's transport in one loop.

A socket only gets the direct write when nothing is waiting ahead of it: its Engine.IO
queue is empty and its transport has no unsent bytes (the writer task never holds a packet
across an await otherwise). Anything else (a slow reader, a socket on long-polling, a server
other than uvicorn's websockets protocol) gets the packet through Engine.IO as before, so
the order of what a tab receives never changes.

Relies on python-engineio's socket (`queue`, `upgraded`, `closed`), python-socketio's
`environ[eio_sid]`, uvicorn's websocket protocol behind the `asgi.send` that Starlette's and
Reflex's middleware wrap, all pinned with Reflex in pyproject;
tests/integration/test_socket_writes.py covers them on that stack, and the backend logs
UNREACHABLE once if a change of server or middleware turns the direct writes off.
"""

from __future__ import annotations

import contextlib
import logging
import struct

from engineio import packet as engineio_packet

log = logging.getLogger(__name__)


def websocket_text_frame(text: str) -> bytes:
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


UNREACHABLE = ("presence: this server's websockets cannot be written to directly; every "
               "presence change goes through Engine.IO (slower with many lobby tabs)")
_warned = False


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a closure variable not yet bound
        return None


def _innermost_transport(send, layers: int = 12):
    """The transport behind an ASGI `send`: the server's own is a bound method of its
    protocol; each middleware on the way (Starlette's exception handling, Reflex's header
    fix) wraps it in a closure holding the next `send` as its one callable."""
    for _ in range(layers):
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            return transport
        cells = [_contents(cell) for cell in getattr(send, "__closure__", None) or ()]
        inner = [value for value in cells if callable(value) and not isinstance(value, type)]
        if len(inner) != 1:
            return None
        send = inner[0]
    return None


def _transport_of(sio, eio_sid: str):
    """The transport of a websocket Engine.IO socket with nothing queued ahead, or None."""
    global _warned
    socket = sio.eio.sockets.get(eio_sid)
    if socket is None or socket.closed or not socket.upgraded or not socket.queue.empty():
        return None
    transport = _innermost_transport((sio.environ.get(eio_sid) or {}).get("asgi.send"))
    if transport is None:
        if not _warned:  # another server, or middleware wrapping the websocket's send
            _warned = True
            log.warning(UNREACHABLE)
        return None
    if transport.is_closing() or transport.get_write_buffer_size():
        return None
    return transport


async def send_to_all(sio, eio_sids, pkt: engineio_packet.Packet) -> int:
    """Sends `pkt` to every socket in `eio_sids`; returns how many took the direct write."""
    frame: bytes | None = None
    direct = 0
    for eio_sid in eio_sids:
        transport = _transport_of(sio, eio_sid)
        if transport is None:
            with contextlib.suppress(Exception):  # a socket closing right now
                await sio.eio.send_packet(eio_sid, pkt)
            continue
        if frame is None:
            frame = websocket_text_frame(pkt.encode())
        transport.write(frame)
        direct += 1
    return direct
