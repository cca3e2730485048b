"""HTTP routes beside Reflex's websocket: LiveKit's webhook."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from distokoloshe import webhooks

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/livekit/webhook"


async def livekit_webhook(request: Request) -> JSONResponse:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > webhooks.MAX_BODY_BYTES:
        return JSONResponse({"error": "body too large"}, status_code=413)
    body = await request.body()
    try:
        event = webhooks.verify(body, request.headers.get("authorization", ""))
    except webhooks.ForgedWebhook:
        return JSONResponse({"error": "invalid signature"}, status_code=401)
    log.info("livekit %s room=%s identity=%s", event.kind, event.room_name, event.identity)
    return JSONResponse({"ok": True})


api = Starlette(routes=[Route(WEBHOOK_PATH, livekit_webhook, methods=["POST"])])
