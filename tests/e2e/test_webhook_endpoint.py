"""The app's LiveKit webhook endpoint believes only bodies signed with our LiveKit secret."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
from livekit import api

PATH = "/api/livekit/webhook"


def _signed(body: bytes, key: str, secret: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return api.AccessToken(key, secret).with_sha256(digest).to_jwt()


def _event(room: str = "room-1") -> bytes:
    return json.dumps({"event": "participant_joined", "room": {"name": room},
                       "participant": {"identity": "1"}, "id": "EV_x", "createdAt": 1}).encode()


def test_unsigned_or_forged_webhooks_get_401(app, livekit):
    url = f"http://127.0.0.1:{app.port}{PATH}"
    body = _event()
    forged = [
        {},
        {"Authorization": "not a jwt"},
        {"Authorization": _signed(body, livekit.api_key, "forged secret " * 4)},
        {"Authorization": _signed(_event("room-2"), livekit.api_key, livekit.api_secret)},
    ]
    for headers in forged:
        response = httpx.post(url, content=body,
                              headers={"Content-Type": "application/webhook+json", **headers})
        assert response.status_code == 401, headers


def test_signed_webhook_is_accepted_and_huge_bodies_refused(app, livekit):
    url = f"http://127.0.0.1:{app.port}{PATH}"
    body = _event()
    response = httpx.post(url, content=body, headers={
        "Content-Type": "application/webhook+json",
        "Authorization": _signed(body, livekit.api_key, livekit.api_secret)})
    assert response.status_code == 200

    huge = b"{" + b" " * 40_000 + b"}"
    response = httpx.post(url, content=huge, headers={
        "Authorization": _signed(huge, livekit.api_key, livekit.api_secret)})
    assert response.status_code == 413
