"""The single-port run (`./tokoloshe up`) serves the pages itself, so it does what nginx does
in production: security headers on every response, and no redirect to a forged Host."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_a_forged_host_header_is_never_where_a_redirect_sends_the_browser(app):
    with httpx.Client(base_url=f"http://127.0.0.1:{app.port}", timeout=10) as client:
        response = client.get("/login", headers={"Host": "evil.example"})
    assert response.status_code in (301, 302, 307, 308)  # the trailing-slash redirect
    assert response.headers["location"] == "/login/"


@pytest.mark.parametrize("path", ["/login/", "/", "/app.css", "/nonexistent"])
def test_every_response_carries_the_security_headers(app, path):
    with httpx.Client(base_url=f"http://127.0.0.1:{app.port}", timeout=10) as client:
        headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "microphone=(self)" in headers["permissions-policy"]
