"""What nginx adds in production, for the runs where the backend serves the pages itself
(`./tokoloshe up`, and Reflex's single-port run the tests use): security headers on every
response, and redirects that never name a host taken from the request (a forged Host header
must not send a browser elsewhere). Behind nginx the backend runs without pages and this
stays out of the way.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'; object-src 'none'; base-uri 'self'"),
    (b"permissions-policy",
     b"camera=(self), microphone=(self), display-capture=(self), geolocation=()"),
]


def _relative(location: bytes) -> bytes:
    """A redirect's target without scheme and host: the browser keeps the origin it has."""
    parts = urlsplit(location.decode("latin-1"))
    path = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return ("/" + path.lstrip("/")).encode("latin-1")  # never "//host", a scheme-relative URL


def with_edge_headers(app):
    """ASGI middleware: the headers above on each HTTP response, and host-free redirects."""

    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = [(name, _relative(value) if name.lower() == b"location" else value)
                           for name, value in message.get("headers", [])]
                headers += [header for header in SECURITY_HEADERS if header[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        return await app(scope, receive, send_with_headers)

    return middleware
