"""A tampered client that rewrites its own websocket events gains nothing.

The attacker's browser turns a harmless "select room" event into "delete room" on the
wire, exactly as a hand-written client could. Authorization happens in the backend,
from the verified session, so the owner's room survives and the attacker is refused.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e


def rewrite_events(page, old: str, new: str, armed: dict) -> None:
    async def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message):
            if armed["on"] and isinstance(message, str) and f".{old}" in message:
                message = message.replace(f".{old}", f".{new}")
                armed["rewritten"] += 1
            server.send(message)

        ws.on_message(from_page)
        server.on_message(ws.send)

    return page.route_web_socket(re.compile(r"/_event"), route)


async def test_rewritten_event_cannot_delete_another_users_room(new_page, seed_user):
    owner = await new_page()
    await log_in(owner, seed_user())
    name = "Not yours " + secrets.token_hex(2)
    await create_room(owner, name)
    await expect(owner.get_by_test_id("selected-room-name")).to_have_text(name)

    attacker = await new_page()
    armed = {"on": False, "rewritten": 0}
    await rewrite_events(attacker, "select_room", "delete_room", armed)
    await log_in(attacker, seed_user())
    armed["on"] = True
    await attacker.get_by_role("button", name=name, exact=True).click()
    await expect(attacker.get_by_test_id("room-error")).to_have_text(
        "Only the room's owner can delete it.")
    assert armed["rewritten"] == 1

    await owner.reload()
    await expect(owner.get_by_role("button", name=name, exact=True)).to_be_visible()


async def test_rewritten_event_with_a_bogus_room_id_gets_a_clear_error(new_page, seed_user):
    async def forge_room_id(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(
            re.sub(r'"room_id":\s*\d+', '"room_id":"1 OR 1=1"', message)
            if isinstance(message, str) else message))
        server.on_message(ws.send)

    attacker = await new_page()
    await attacker.route_web_socket(re.compile(r"/_event"), forge_room_id)
    await log_in(attacker, seed_user())
    await create_room(attacker, "Mine " + secrets.token_hex(2))
    await expect(attacker.get_by_role("button", name="Delete room")).to_be_visible()
    await attacker.get_by_role("button", name=re.compile("^Mine ")).click()
    await expect(attacker.get_by_test_id("room-error")).to_have_text("That room does not exist.")
