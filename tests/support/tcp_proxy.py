"""A loopback TCP proxy, run in its own thread, that can cut every client connection.

It reproduces a network blip the way a reverse proxy shows it to the backend: the
browser sees its websocket die at once, while the backend learns of it only later.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading


class CuttableProxy:
    def __init__(self, upstream_port: int, *, upstream_close_delay: float = 2.0,
                 fallback_ports: tuple[int, ...] = ()) -> None:
        self.upstream_port = upstream_port
        # Tried in order when the upstream refuses, as a load balancer fails over to the
        # next healthy server.
        self.fallback_ports = fallback_ports
        self.upstream_close_delay = upstream_close_delay
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="cuttable-proxy")
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        # upstream sides of cut connections, held open until their delayed close
        self._held: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None
        # X-Forwarded-For value -> upstream port for that client's websocket (see route_events)
        self._event_routes: dict[str, int] = {}
        self.routed_events: collections.Counter[int] = collections.Counter()

    def start(self) -> CuttableProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _call(self, coroutine, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def route_events(self, client_address: str, upstream_port: int) -> None:
        """Send this client's Reflex websocket (`GET /_event/...`, told apart by the
        X-Forwarded-For its browser context sends) to another backend; all else as before."""
        self._event_routes[client_address] = upstream_port

    async def _pick_upstream(self, client_reader) -> tuple[int, bytes]:
        if not self._event_routes:
            return self.upstream_port, b""
        head = b""
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = await asyncio.wait_for(client_reader.read(65536), 10)
                if not chunk:
                    break
                head += chunk
        if head.startswith(b"GET /_event"):
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"x-forwarded-for":
                    port = self._event_routes.get(value.strip().decode("latin-1"))
                    if port is not None:
                        self.routed_events[port] += 1
                        return port, head
        return self.upstream_port, head

    async def _accept(self, client_reader, client_writer) -> None:
        upstream_port, head = await self._pick_upstream(client_reader)
        for port in (upstream_port, *self.fallback_ports):
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1",
                                                                                 port)
                break
            except OSError:
                continue
        else:
            client_writer.transport.abort()
            return
        if head:
            upstream_writer.write(head)
        pair = (client_writer, upstream_writer)
        self._pairs.add(pair)
        pumps = [
            asyncio.ensure_future(self._pump(client_reader, upstream_writer)),
            asyncio.ensure_future(self._pump(upstream_reader, client_writer)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        self._pairs.discard(pair)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        if writer not in self._held:
            with contextlib.suppress(Exception):
                writer.close()

    async def _cut(self) -> int:
        pairs = list(self._pairs)
        for client_writer, upstream_writer in pairs:
            self._held.add(upstream_writer)
            client_writer.transport.abort()
            self._loop.call_later(self.upstream_close_delay, self._release, upstream_writer)
        return len(pairs)

    def _release(self, upstream_writer: asyncio.StreamWriter) -> None:
        self._held.discard(upstream_writer)
        upstream_writer.transport.abort()

    def cut_clients(self) -> int:
        """Drop every client connection now; the backend's side closes only after a delay."""
        return self._call(self._cut())

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for client_writer, upstream_writer in list(self._pairs):
            client_writer.transport.abort()
            upstream_writer.transport.abort()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
