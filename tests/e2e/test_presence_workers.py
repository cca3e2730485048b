"""Presence across two backend workers sharing a real Redis and PostgreSQL, as scaled.

Two backend-only processes run on one public origin: the session's proxy sends each browser
context's websocket to the worker chosen for it (by the X-Forwarded-For that context sends),
so clients land on different workers for certain, and a change made through one worker has
to reach the clients of the other.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import expect

from tests.e2e.test_presence import person, room_members
from tests.support.live_fixtures import SCALED_MAX_CONNECTIONS as MAX_CONNECTIONS
from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e


async def test_changes_through_one_worker_reach_clients_on_the_other(open_on, scaled_user,
                                                                    scaled, proxy):
    people = []
    for n, first_name in ((0, "Ayanda"), (1, "Bongani"), (0, "Cebo")):
        display_name = f"{first_name} {secrets.token_hex(2)}"
        page = await open_on(n)
        await log_in(page, scaled_user(display_name))
        people.append((page, display_name))
    (a, a_name), (b, _), (c, _) = people
    assert all(proxy.routed_events[worker.port] > 0 for worker in scaled.workers)
    for viewer, _ in people:
        for _, name in people:
            await expect(person(viewer, name)).to_have_attribute("data-online", "true")

    room_name = "Scaled " + secrets.token_hex(3)
    await create_room(a, room_name)  # through worker 0
    await expect(b.get_by_role("button", name=room_name, exact=True)).to_be_visible(
        timeout=10_000)
    await expect(a.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
    for viewer in (b, c):  # worker 1's client, and worker 0's other client
        await expect(room_members(viewer, room_name).filter(has_text=a_name)).to_be_visible(
            timeout=10_000)

    await a.context.close()
    for viewer in (b, c):
        await expect(person(viewer, a_name)).to_have_attribute("data-online", "false",
                                                               timeout=10_000)

    second_room = "Made on 1 " + secrets.token_hex(3)
    await create_room(b, second_room)  # through worker 1
    await expect(c.get_by_role("button", name=second_room, exact=True)).to_be_visible(
        timeout=10_000)


async def test_the_connection_cap_holds_across_workers(open_on, scaled_user):
    pages = []
    for n in range(MAX_CONNECTIONS + 1):
        page = await open_on(n % 2)
        display_name = f"Cap {n} {secrets.token_hex(2)}"
        await log_in(page, scaled_user(display_name))
        if n < MAX_CONNECTIONS:
            # Admitted before the next one opens, so the one refused is the last for certain.
            await expect(person(page, display_name)).to_have_attribute(
                "data-online", "true", timeout=15_000)
        pages.append(page)
    await expect(pages[-1].get_by_test_id("over-capacity")).to_contain_text(
        f"The server is full ({MAX_CONNECTIONS} connections)", timeout=15_000)
    refused = [page for page in pages
               if await page.get_by_test_id("over-capacity").count() > 0]
    assert refused == [pages[-1]]
