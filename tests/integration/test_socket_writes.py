"""The presence hub's direct writes (realtime/socket_writes.py), on the server stack the
backend runs: uvicorn configured as distokoloshe/backend_worker.py configures it, python-
socketio and a client that negotiated permessage-deflate, as browsers do. A frame written
straight to the transport must arrive intact, and never overtake what is queued ahead."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
import socketio
import uvicorn
import websockets
from engineio import packet as engineio_packet
from starlette.applications import Starlette
from starlette.routing import Mount
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from distokoloshe.backend_worker import BackendWorker
from distokoloshe.realtime.frames import delta_frame
from distokoloshe.realtime.socket_writes import send_to_all, websocket_text_frame
from tests.support.ports import free_port

NAMESPACE = "/_event"


def _message(text: str) -> engineio_packet.Packet:
    return delta_frame("state", {"value": json.dumps(text)}, namespace=NAMESPACE)


@contextlib.asynccontextmanager
async def _server():
    sio = socketio.AsyncServer(async_mode="asgi")
    sio.register_namespace(socketio.AsyncNamespace(NAMESPACE))
    port = free_port()
    # Mounted in Starlette as Reflex mounts it, so the send the socket gets is wrapped in
    # Starlette's exception-handling layers, as in the real backend.
    app = Starlette(routes=[Mount("/socket.io", app=socketio.ASGIApp(sio, socketio_path=""))])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off",
                                           **BackendWorker.CONFIG_KWARGS))
    serving = asyncio.get_running_loop().create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield sio, port
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def _tab(port: int):
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", compression="deflate")
    assert (await ws.recv()).startswith("0")
    await ws.send(f"40{NAMESPACE},")
    assert (await ws.recv()).startswith(f"40{NAMESPACE},")
    assert ws.protocol.extensions, "the client should have negotiated permessage-deflate"
    return ws


def _value(text: str) -> str:
    return json.loads(text[len(f"42{NAMESPACE},"):])[1]["delta"]["state"]["value_rx_state_"]


@pytest.mark.parametrize("chars", [0, 125, 126, 70_000])
def test_a_built_frame_is_what_the_websockets_library_reads(chars):
    text = "é☃" + "x" * chars
    reader = StreamReader()
    reader.feed_data(websocket_text_frame(text))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as done:
        next(parser)
    frame = done.value.value
    assert frame.opcode is Opcode.TEXT and frame.fin and not frame.rsv1
    assert frame.data.decode() == text


async def test_a_direct_write_reaches_every_tab_intact():
    async with _server() as (sio, port):
        tabs = [await _tab(port) for _ in range(3)]
        eio_sids = list(sio.eio.sockets)
        big = "☃" * 40_000
        assert await send_to_all(sio, eio_sids, _message(big)) == 3
        for tab in tabs:
            assert _value(await asyncio.wait_for(tab.recv(), 10)) == big
            await tab.close()


async def test_a_direct_write_never_overtakes_a_queued_packet():
    async with _server() as (sio, port):
        tab = await _tab(port)
        (eio_sid,) = sio.eio.sockets
        socket = sio.eio.sockets[eio_sid]
        socket.queue.put_nowait(_message("first"))     # queued, its writer not yet run
        assert await send_to_all(sio, [eio_sid], _message("second")) == 0
        assert await send_to_all(sio, [eio_sid], _message("third")) == 0
        received = [_value(await asyncio.wait_for(tab.recv(), 10)) for _ in range(3)]
        assert received == ["first", "second", "third"]
        # once the queue is drained, the next one is written directly again
        for _ in range(100):
            if socket.queue.empty():
                break
            await asyncio.sleep(0.05)
        assert await send_to_all(sio, [eio_sid], _message("fourth")) == 1
        assert _value(await asyncio.wait_for(tab.recv(), 10)) == "fourth"
        await tab.close()
