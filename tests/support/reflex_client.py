"""A scriptable Reflex client: Engine.IO 4 / Socket.IO 5 over a plain websocket, no browser.

It speaks exactly what the compiled frontend speaks, and nothing stops it from speaking
anything else, which is the point: a test drives it like a hand-written hostile client.

- The boot event `hydrate_and_load` rides in the namespace CONNECT packet, carrying the
  browser-storage vars (the signed-in session token among them), as the frontend does;
  the route in its router data decides which page's on_load handlers run.
- `send(handler, payload)` fires any event handler by its full name with any payload;
  `send_raw(text)` puts any text frame on the wire.
- Every text frame received is kept verbatim (`texts`), so a test can grep everything the
  server ever sent to this client; state deltas are also merged into `state` and
  waited on with `wait_for`.

`bench/_reflex_client.py` (hundreds of tabs on one core) shares the protocol constants here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

NAMESPACE = "/_event"
FIELD_SUFFIX = "_rx_state_"
ROOT_STATE = "reflex___state____state"
BOOT_EVENT = f"{ROOT_STATE}.hydrate_and_load"
SESSION_STATE = f"{ROOT_STATE}.distokoloshe___state___session____session_state"
SESSION_VAR = f"{SESSION_STATE}.session_token{FIELD_SUFFIX}"
LOBBY = {"pathname": "/", "asPath": "/"}
REGISTER_PAGE = {"pathname": "/register", "asPath": "/register"}


def boot_event(session_token: str = "", *, router_data: dict | None = None,
               extra_vars: dict[str, Any] | None = None) -> dict:
    """The frontend's hydrate_and_load, as sent in the CONNECT packet."""
    client_vars = {SESSION_VAR: session_token} if session_token else {}
    client_vars.update(extra_vars or {})
    return {"name": BOOT_EVENT, "payload": {"vars": client_vars},
            "router_data": dict(router_data or LOBBY)}


def event_frame(name: str, payload: dict | None = None, *,
                router_data: dict | None = None) -> str:
    """One Socket.IO EVENT packet carrying a Reflex event, as text."""
    event = {"name": name, "payload": payload if payload is not None else {},
             "router_data": dict(router_data or LOBBY)}
    return f"42{NAMESPACE}," + json.dumps(["event", event], separators=(",", ":"))


class RefusedError(Exception):
    """The server refused the websocket upgrade or the namespace connect."""


class ReflexClient:
    def __init__(self, port: int, *, origin: str, session_token: str = "",
                 client_address: str | None = None, router_data: dict | None = None,
                 extra_vars: dict[str, Any] | None = None, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.origin = origin
        self.session_token = session_token
        self.client_address = client_address
        self.router_data = dict(router_data or LOBBY)
        self.extra_vars = extra_vars
        self.client_token = str(uuid.uuid4())
        self.texts: list[str] = []                       # every text frame received
        self.updates: list[tuple[float, dict]] = []      # (perf_counter, {"delta":..., ...})
        self.state: dict[str, dict[str, Any]] = {}       # merged deltas: state -> var -> value
        self.sid = ""
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._changed = asyncio.Condition()
        self._connected: asyncio.Future | None = None
        self.closed = asyncio.Event()

    async def __aenter__(self) -> ReflexClient:
        return await self.connect()

    async def __aexit__(self, *_exc) -> None:
        await self.close()

    async def connect(self, timeout: float = 15.0) -> ReflexClient:
        headers = {}
        if self.client_address:
            headers["X-Forwarded-For"] = self.client_address
        url = (f"ws://{self.host}:{self.port}{NAMESPACE}/?EIO=4&transport=websocket"
               f"&token={self.client_token}")
        try:
            self._ws = await asyncio.wait_for(connect(
                url, origin=self.origin, additional_headers=headers, max_size=None,
                compression=None, ping_interval=None, open_timeout=timeout,
                close_timeout=2), timeout)
        except Exception as error:
            raise RefusedError(str(error)) from error
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(), name="reflex-client-reader")
        try:
            await asyncio.wait_for(asyncio.shield(self._connected), timeout)
        except BaseException:
            await self.close()
            raise
        return self

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if isinstance(message, bytes):
                    continue
                await self._on_text(message)
        except ConnectionClosed:
            pass
        finally:
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(RefusedError("closed before the namespace connected"))
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    async def _on_text(self, text: str) -> None:
        now = time.perf_counter()
        kind = text[:1]
        if kind == "0":                       # Engine.IO open: join the namespace
            await self.send_raw(f"40{NAMESPACE}," + json.dumps({"event": boot_event(
                self.session_token, router_data=self.router_data,
                extra_vars=self.extra_vars)}))
        elif kind == "2":                     # Engine.IO ping
            await self.send_raw("3")
        elif text.startswith(f"40{NAMESPACE}"):
            self.sid = json.loads(text[len(NAMESPACE) + 3:]).get("sid", "")
            if not self._connected.done():
                self._connected.set_result(now)
        elif text.startswith(f"44{NAMESPACE}"):
            if not self._connected.done():
                self._connected.set_exception(RefusedError(text))
        elif text.startswith(f"42{NAMESPACE},"):
            self.texts.append(text)
            name, *args = json.loads(text[len(NAMESPACE) + 3:])
            if name == "event" and args and isinstance(args[0], dict):
                update = args[0]
                for state, values in (update.get("delta") or {}).items():
                    merged = self.state.setdefault(state, {})
                    for key, value in values.items():
                        merged[key.removesuffix(FIELD_SUFFIX)] = value
                self.updates.append((now, update))
                async with self._changed:
                    self._changed.notify_all()
        else:
            self.texts.append(text)

    async def send_raw(self, text: str | bytes) -> None:
        await self._ws.send(text)

    async def send(self, name: str, payload: dict | None = None, *,
                   router_data: dict | None = None) -> float:
        """Fire one event; returns the perf_counter time it was sent."""
        frame = event_frame(name, payload, router_data=router_data or self.router_data)
        sent = time.perf_counter()
        await self.send_raw(frame)
        return sent

    def value(self, state: str, var: str, default: Any = None) -> Any:
        return self.state.get(state, {}).get(var, default)

    def call_of(self, state: str, room_id: int) -> list[dict]:
        """Who the lobby shows in a room's call: its entry in `members_patch` if it has one,
        else in `members_base` (realtime/room_feed.py), as state/presence.py reads them."""
        key = str(room_id)
        patch = self.value(state, "members_patch") or {}
        return patch[key] if key in patch else (self.value(state, "members_base") or {}).get(
            key, [])

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `check()` is truthy (re-checked after every frame); returns its value."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                result = check()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed.is_set():
                    raise TimeoutError(f"condition not met within {timeout} s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_for_value(self, state: str, var: str, expected: Any,
                             timeout: float = 10.0) -> None:
        await self.wait_for(lambda: self.value(state, var, object()) == expected, timeout)

    async def round_trip(self, state: str, handler: str, payload: dict, var: str,
                         expected: Any, timeout: float = 10.0) -> float:
        """Fire a handler and return the seconds until the delta setting `var` to `expected`
        arrives (a delta for exactly that var, so an older one cannot count)."""
        start_index = len(self.updates)
        sent = await self.send(f"{state}.{handler}", payload)
        key = var + FIELD_SUFFIX

        def arrived():
            for at, update in self.updates[start_index:]:
                values = (update.get("delta") or {}).get(state, {})
                if key in values and values[key] == expected:
                    return at
            return None

        return await self.wait_for(arrived, timeout) - sent

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 3)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


def all_text(clients: list[ReflexClient]) -> str:
    return "\n".join(text for client in clients for text in client.texts)
