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


async def test_rewritten_chat_events_cannot_touch_another_users_message(new_page, seed_user):
    owner = await new_page()
    await log_in(owner, seed_user())
    name = "Chatty " + secrets.token_hex(2)
    await create_room(owner, name)
    await owner.get_by_label("Message", exact=True).fill("the owner's words")
    await owner.get_by_label("Message", exact=True).press("Enter")
    theirs = owner.get_by_test_id("chat-message").filter(has_text="the owner's words")
    their_id = await theirs.get_attribute("data-id")

    attacker = await new_page()
    await log_in(attacker, seed_user())
    await attacker.locator(f'[data-testid="room-item"][data-room="{name}"]').get_by_role(
        "button").click()
    await attacker.get_by_label("Message", exact=True).fill("mine")
    await attacker.get_by_label("Message", exact=True).press("Enter")
    mine = attacker.get_by_test_id("chat-message").filter(has_text="mine")
    my_id = await mine.get_attribute("data-id")

    async def aim_at_theirs(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(
            message.replace(f'"message_id":{my_id}', f'"message_id":{their_id}')
            if isinstance(message, str) else message))
        server.on_message(ws.send)

    await attacker.route_web_socket(re.compile(r"/_event"), aim_at_theirs)
    await attacker.reload()
    await expect(mine).to_be_visible()
    await mine.hover()
    await mine.get_by_role("button", name="Delete the message by").click()
    await expect(attacker.get_by_test_id("chat-error")).to_have_text(
        "Only its author or the room's owner can delete a message.")
    await mine.hover()
    await mine.get_by_role("button", name="Edit your message").click()
    editor = attacker.get_by_role("textbox", name="Edit your message")
    await editor.fill("rewritten by someone else")
    await editor.press("Enter")
    await expect(attacker.get_by_test_id("chat-error")).to_have_text(
        "You can only edit your own messages.")
    await expect(theirs).to_have_text(re.compile("the owner's words"))
    await expect(owner.get_by_test_id("chat-message").filter(
        has_text="rewritten by someone else")).to_have_count(0)
