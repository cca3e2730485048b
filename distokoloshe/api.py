"""HTTP routes beside Reflex's websocket: LiveKit's webhook, which feeds presence."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from distokoloshe import webhooks
from distokoloshe.realtime.presence_hub import hub

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/livekit/webhook"


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None if it is over `limit` bytes (also when sent chunked)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def livekit_webhook(request: Request) -> JSONResponse:
    body = await _bounded_body(request, webhooks.MAX_BODY_BYTES)
    if body is None:
        return JSONResponse({"error": "body too large"}, status_code=413)
    try:
        event = webhooks.verify(body, request.headers.get("authorization", ""))
    except webhooks.ForgedWebhook:
        return JSONResponse({"error": "invalid signature"}, status_code=401)
    log.info("livekit %s room=%s identity=%s", event.kind, event.room_name, event.identity)
    await hub.call_event(event)
    return JSONResponse({"ok": True})


api = Starlette(routes=[Route(WEBHOOK_PATH, livekit_webhook, methods=["POST"])])
