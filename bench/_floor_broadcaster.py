"""The floor for presence fan-out: the least our server stack can do per change.

A bare ASGI app served exactly as `reflex run --env prod` serves the backend (gunicorn with
distokoloshe/backend_worker.py: the asyncio loop, h11, and the websockets library), speaking just
enough Engine.IO / Socket.IO for bench/_reflex_client.py's tabs to connect. Nothing else is
on the path: no Reflex, no authentication, no database, no state.

- `POST /change` with `{"marker": ..., "chars": N}`: one frame of N characters carrying the
  marker is encoded once and sent to every connected socket, one ASGI send after another,
  from a task of its own (as the hub sends from its own task, after the webhook returns).
- A tab that joins the namespace is counted online; joins are announced to every socket as
  the list of who is online, batched within the hub's window, so a join storm has a floor
  too.

    .venv/bin/python -m gunicorn --worker-class distokoloshe.backend_worker.BackendWorker \\
        --bind 127.0.0.1:PORT bench._floor_broadcaster:app
"""

from __future__ import annotations

import asyncio
import itertools
import json

NAMESPACE = "/_event"
BATCH_SECONDS = 0.05             # the hub's window (realtime/presence_hub.py)
OPEN = "0" + json.dumps({"sid": "floor", "upgrades": [], "pingInterval": 25000,
                         "pingTimeout": 20000, "maxPayload": 1000000})

_sockets: dict[int, object] = {}        # socket number -> its ASGI send
_numbers = itertools.count()
_joined = asyncio.Event()


def frame(var: str, value_json: str) -> str:
    return (f'42{NAMESPACE},["event",{{"delta":{{"floor":{{"{var}_rx_state_":{value_json}}}}},'
            f'"events":[]}}]')


def padded_frame(marker: str, chars: int) -> str:
    bare = frame("rooms", json.dumps(marker))
    return frame("rooms", json.dumps(marker + "x" * max(0, chars - len(bare))))


async def _send_to_all(text: str) -> None:
    message = {"type": "websocket.send", "text": text}
    for send in list(_sockets.values()):
        try:
            await send(message)
        except Exception:  # noqa: BLE001  (a socket closing right now)
            continue


async def _announce_joins() -> None:
    while True:
        await _joined.wait()
        await asyncio.sleep(BATCH_SECONDS)
        _joined.clear()
        await _send_to_all(frame("online", json.dumps(list(range(len(_sockets))))))


async def _tab(receive, send) -> None:
    number = next(_numbers)
    await receive()                                   # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": OPEN})
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or ""
            if text.startswith(f"40{NAMESPACE}"):
                joined = f'40{NAMESPACE},{{"sid":"s{number}"}}'
                await send({"type": "websocket.send", "text": joined})
                _sockets[number] = send
                _joined.set()
    finally:
        _sockets.pop(number, None)


async def _http(scope, receive, send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/change":
        change = json.loads(body)
        asyncio.get_running_loop().create_task(
            _send_to_all(padded_frame(change["marker"], int(change["chars"]))))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _lifespan(receive, send) -> None:
    announcer = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            announcer = asyncio.get_running_loop().create_task(_announce_joins())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if announcer is not None:
                announcer.cancel()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send) -> None:
    if scope["type"] == "websocket":
        await _tab(receive, send)
    elif scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)
