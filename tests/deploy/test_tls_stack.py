"""The production stack through the real nginx.tls.conf: a call, headers, limits, TLS.

nginx serves the `reflex export` build and proxies the prod backend (`--backend-only`) and
LiveKit's signalling (/rtc) exactly as compose.yml runs them, with a self-signed certificate.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time

import httpx
import pytest

from tests.deploy.calls import register_join_and_hear_a_peer

pytestmark = pytest.mark.e2e

def _client(nginx, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=nginx.origin, verify=False, timeout=10, **kwargs)


def _websocket_handshake(port: int, origin: str, *, tls: bool = True) -> socket.socket:
    """Opens Reflex's websocket through nginx; the socket, after the response headers."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = raw
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(raw, server_hostname="localhost")
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock.sendall((f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost:{port}"
                  f"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}"
                  f"\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode())
    return sock


def _status(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(1024)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1])


async def test_register_join_and_hear_a_peer_with_no_policy_violations(browser, tls_stack):
    await register_join_and_hear_a_peer(browser, tls_stack)


def test_every_response_carries_the_security_headers(tls_stack):
    nginx, _backend, _livekit = tls_stack
    with _client(nginx) as client:
        page = client.get("/")
        responses = [page, client.get("/login"), client.get("/no/such/page"),
                     client.get("/ping"), client.get("/_health"),
                     client.post("/api/livekit/webhook", content=b"{}")]
        asset = re.search(r'src="(/assets/[^"]+\.js)"|href="(/assets/[^"]+\.js)"', page.text)
        responses.append(client.get(next(group for group in asset.groups() if group)))
    assert page.status_code == 200 and "<html" in page.text
    for response in responses:
        headers = response.headers
        where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
        assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains", where
        assert headers["x-frame-options"] == "DENY", where
        assert headers["x-content-type-options"] == "nosniff", where
        assert headers["referrer-policy"] == "no-referrer", where
        assert headers["permissions-policy"].startswith(
            "camera=(self), microphone=(self), display-capture=(self)"), where
        assert "server" not in headers or headers["server"] == "nginx", where
        csp = dict(directive.strip().split(" ", 1)
                   for directive in headers["content-security-policy"].split(";"))
        assert csp["default-src"] == "'self'", where
        assert csp["connect-src"] == f"'self' {nginx.livekit_url}", where
        assert csp["frame-ancestors"] == "'none'", where
        assert csp["worker-src"] == "'self'", where
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'", where
        assert "'unsafe-eval'" not in headers["content-security-policy"], where
        assert "'unsafe-inline'" not in csp["script-src"], where
        assert not re.search(r"(^|\s)wss?:(\s|$)", csp["connect-src"]), where
        hashes = re.findall(r"'sha256-[A-Za-z0-9+/=]+'", csp["script-src"])
        # WebAssembly (RNNoise) may compile; nothing else that evaluates code may run
        assert hashes and csp["script-src"] == "'self' 'wasm-unsafe-eval' " + " ".join(
            hashes), where


def test_http_redirects_to_https_and_serves_only_the_acme_challenge(tls_stack):
    nginx, _backend, _livekit = tls_stack
    (nginx.prefix / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True,
                                                                     exist_ok=True)
    (nginx.prefix / "acme" / ".well-known" / "acme-challenge" / "token123").write_text("proof")
    with httpx.Client(base_url=f"http://127.0.0.1:{nginx.http_port}", timeout=10) as client:
        redirect = client.get("/login?next=1")
        challenge = client.get("/.well-known/acme-challenge/token123")
        missing = client.get("/.well-known/acme-challenge/other")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"https://{nginx.host}/login?next=1"
    assert challenge.status_code == 200 and challenge.text == "proof"
    assert missing.status_code == 404


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_only_tls_1_2_and_1_3_are_offered(tls_stack):
    nginx, _backend, _livekit = tls_stack

    def handshake(version: ssl.TLSVersion) -> str | None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = context.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("ALL:@SECLEVEL=0")  # let the client at least ask
        try:
            with (socket.create_connection(("127.0.0.1", nginx.https_port), timeout=5) as raw,
                  context.wrap_socket(raw, server_hostname="localhost") as sock):
                return sock.version()
        except (ssl.SSLError, OSError):
            return None

    assert handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert handshake(ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(ssl.TLSVersion.TLSv1_1) is None
    assert handshake(ssl.TLSVersion.TLSv1) is None


def test_websocket_needs_our_origin(tls_stack):
    nginx, _backend, _livekit = tls_stack
    for origin, expected in (("https://evil.example", 403), ("null", 403),
                             (f"http://{nginx.host}:{nginx.https_port}", 403),
                             (nginx.origin, 101)):
        with contextlib.closing(_websocket_handshake(nginx.https_port, origin)) as sock:
            assert _status(sock) == expected, origin


def test_websocket_connections_are_capped_per_client(tls_stack):
    nginx, _backend, _livekit = tls_stack
    sockets: list[socket.socket] = []
    try:
        for _ in range(20):
            sockets.append(_websocket_handshake(nginx.https_port, nginx.origin))
            assert _status(sockets[-1]) == 101
        extra = _websocket_handshake(nginx.https_port, nginx.origin)
        sockets.append(extra)
        assert _status(extra) == 429
    finally:
        for sock in sockets:
            sock.close()
    # Closed sockets free their slots.
    deadline = time.monotonic() + 10
    while True:
        with contextlib.closing(_websocket_handshake(nginx.https_port, nginx.origin)) as sock:
            status = _status(sock)
        if status == 101 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 101


def test_api_bodies_over_16_kb_stop_at_nginx(tls_stack):
    nginx, _backend, _livekit = tls_stack
    with _client(nginx) as client:
        small = client.post("/api/livekit/webhook", content=b"x" * 15_000)
        large = client.post("/api/livekit/webhook", content=b"x" * 17_000)
    assert small.status_code == 401  # reached the app, which wants a signature
    assert large.status_code == 413
    assert "nginx" in large.text.lower() or "413" in large.text


def test_livekit_api_is_not_exposed_through_nginx(tls_stack):
    nginx, _backend, _livekit = tls_stack
    with _client(nginx) as client:
        twirp = client.post("/twirp/livekit.RoomService/ListRooms", json={})
    # The static site answers (SPA fallback or 404), never LiveKit's API.
    assert twirp.status_code in (404, 405)
