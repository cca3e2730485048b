"""Each room's chat in real browsers: live in every tab, with unread counts, edits, deletes,
its history in pages, its limits, text that never becomes HTML, and a backend restart."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect
from sqlmodel import Session, select

from distokoloshe.db import make_engine
from distokoloshe.models import ChatMessage, Room, User, utcnow
from tests.support.live_fixtures import create_room, log_in

pytestmark = pytest.mark.e2e


@dataclasses.dataclass
class Someone:
    page: Page
    username: str
    name: str


async def _people(new_page, seed_user, *first_names: str) -> list[Someone]:
    people = []
    for first_name in first_names:
        name = f"{first_name} {secrets.token_hex(2)}"
        username = seed_user(display_name=name)
        page = await new_page()
        await log_in(page, username)
        people.append(Someone(page, username, name))
    return people


def room_button(page: Page, room: str):
    return page.locator(f'[data-testid="room-item"][data-room="{room}"]').get_by_role("button")


def unread(page: Page, room: str):
    return page.locator(f'[data-testid="room-item"][data-room="{room}"]').get_by_test_id(
        "unread")


def messages(page: Page):
    return page.get_by_test_id("chat-message")


def box(page: Page):
    return page.get_by_label("Message", exact=True)


async def say(page: Page, text: str) -> None:
    await box(page).fill(text)
    await box(page).press("Enter")


async def open_room(page: Page, room: str) -> None:
    await room_button(page, room).click()
    await expect(page.get_by_test_id("selected-room-name")).to_have_text(room)


async def _new_room(owner: Someone, *others: Someone) -> str:
    room = "Chat " + secrets.token_hex(3)
    await create_room(owner.page, room)
    await expect(owner.page.get_by_test_id("selected-room-name")).to_have_text(room)
    for someone in others:
        await expect(room_button(someone.page, room)).to_be_visible()
    return room


async def test_a_message_reaches_the_others_live_with_unread_counts_and_a_mention(
        new_page, seed_user):
    a, b, c = await _people(new_page, seed_user, "Ayanda", "Bongani", "Cebo")
    room = await _new_room(a, b, c)
    await open_room(b.page, room)
    # c has not opened the room (nor joined its call)

    # It arrives without a reload; how fast is bench/chat_fanout.py's to say, not a
    # functional test's on a busy machine.
    await say(a.page, "hello from Ayanda 👋")
    await expect(messages(b.page).filter(has_text="hello from Ayanda 👋")).to_be_visible(
        timeout=15_000)
    await expect(messages(a.page).filter(has_text="hello from Ayanda")).to_have_count(1)
    await expect(box(a.page)).to_have_value("")
    await expect(a.page.get_by_test_id("chat-pending")).to_have_count(0)
    # the author's name and initial, and a relative time with the exact one on hover
    shown = messages(b.page).filter(has_text="hello from Ayanda")
    await expect(shown).to_contain_text(a.name)
    await expect(shown.locator("time")).to_have_text("just now")
    assert await shown.locator("time").get_attribute("title")

    await expect(unread(c.page, room)).to_have_text("1")
    await expect(unread(c.page, room)).to_have_attribute("aria-label", "1 unread")
    await expect(c.page).to_have_title("(1) disTokoloshe")
    await say(a.page, f"@{c.username} are you there?")
    await expect(unread(c.page, room)).to_have_attribute("data-mentioned", "true")
    await expect(unread(c.page, room)).to_have_attribute("aria-label",
                                                         "2 unread, mentioning you")
    # b is looking at the room: nothing is unread for them
    await expect(messages(b.page).filter(has_text="are you there?")).to_be_visible()
    await expect(unread(b.page, room)).to_have_count(0)

    # consecutive messages of one author are one group
    await expect(messages(b.page).last).to_have_attribute("data-continues", "true")

    await open_room(c.page, room)
    await expect(messages(c.page)).to_have_count(2)
    await expect(unread(c.page, room)).to_have_count(0)
    await expect(c.page).to_have_title("disTokoloshe")
    # out of the call, the chat still reads and writes
    await c.page.get_by_role("button", name="Leave").click()
    await say(c.page, "here, not in the call")
    for page in (a.page, b.page):
        await expect(messages(page).filter(has_text="here, not in the call")).to_be_visible()

    # what c has read follows the account to another browser
    again = await new_page()
    await log_in(again, c.username)
    await expect(room_button(again, room)).to_be_visible()
    await expect(unread(again, room)).to_have_count(0)


async def test_an_edit_and_a_delete_reach_the_other_browser_live(new_page, seed_user):
    a, b = await _people(new_page, seed_user, "Dumisani", "Elethu")
    room = await _new_room(a, b)
    await open_room(b.page, room)
    await say(a.page, "a typo hier")
    await say(b.page, "b says hi")
    mine = messages(a.page).filter(has_text="a typo hier")
    await expect(messages(b.page).filter(has_text="a typo hier")).to_be_visible()

    await mine.hover()
    await mine.get_by_role("button", name="Edit your message").click()
    editor = a.page.get_by_role("textbox", name="Edit your message")
    await editor.fill("a typo here")
    await editor.press("Enter")
    edited = messages(b.page).filter(has_text="a typo here")
    await expect(edited).to_be_visible(timeout=1_000)
    await expect(edited.get_by_test_id("chat-edited")).to_have_text("(edited)")
    # nobody else may edit it; the room's owner may delete anyone's
    await expect(edited.get_by_role("button", name="Edit your message")).to_have_count(0)
    theirs = messages(a.page).filter(has_text="b says hi")
    await theirs.hover()
    await theirs.get_by_role("button", name=f"Delete the message by {b.name}").click()
    await expect(messages(b.page).filter(has_text="b says hi")).to_have_count(0,
                                                                               timeout=1_000)
    ours = messages(b.page).filter(has_text="a typo here")
    await expect(ours.get_by_role("button", name="Delete the message by")).to_have_count(0)


# as a reader does: down a little, then up to the top
SCROLL_TO_TOP = """async el => {
  el.scrollTop = el.scrollHeight - el.clientHeight - 200;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  el.scrollTop = 0;
}"""


def _seed_history(database_url: str, room_name: str, username: str, count: int) -> None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            room = session.exec(select(Room).where(Room.name == room_name)).one()
            author = session.exec(select(User).where(User.username == username)).one()
            start = utcnow() - timedelta(hours=2)
            for n in range(count):
                session.add(ChatMessage(room_id=room.id, author_id=author.id,
                                        body=f"old message {n}",
                                        created_at=start + timedelta(seconds=n)))
            session.commit()
    finally:
        engine.dispose()


async def test_history_pages_back_to_the_first_message(new_page, seed_user, app):
    a, b = await _people(new_page, seed_user, "Funeka", "Gugu")
    room = await _new_room(a, b)
    _seed_history(app.database_url, room, a.username, 120)
    await open_room(b.page, room)
    await expect(messages(b.page)).to_have_count(50)
    await expect(messages(b.page).last).to_contain_text("old message 119")
    await expect(b.page.get_by_test_id("chat-start")).to_have_count(0)
    for shown in (100, 120):
        await b.page.locator(".dtk-chat-scroll").evaluate(SCROLL_TO_TOP)
        await expect(messages(b.page)).to_have_count(shown)
    await expect(messages(b.page).first).to_contain_text("old message 0")
    await expect(b.page.get_by_test_id("chat-start")).to_be_visible()
    # and new messages still arrive below
    await say(a.page, "newest")
    await expect(messages(b.page).last).to_contain_text("newest")


async def test_limits_refuse_and_the_text_stays_in_the_box(new_page, seed_user):
    [a] = await _people(new_page, seed_user, "Hlengiwe")
    await _new_room(a)
    too_long = "x" * 2001
    await say(a.page, too_long)
    await expect(a.page.get_by_test_id("chat-error")).to_contain_text("the limit is 2,000")
    await expect(box(a.page)).to_have_value(too_long)
    await expect(messages(a.page)).to_have_count(0)

    for n in range(5):
        await say(a.page, f"quick {n}")
        await expect(messages(a.page).filter(has_text=f"quick {n}")).to_be_visible()
    await say(a.page, "one too many")
    failed = a.page.get_by_test_id("chat-pending")
    await expect(failed).to_have_attribute("data-failed", "true")
    await expect(failed).to_contain_text("too fast")
    await expect(box(a.page)).to_have_value("one too many")
    # after the window, Retry sends it
    await a.page.wait_for_timeout(10_500)
    await failed.get_by_role("button", name="Retry").click()
    await expect(messages(a.page).filter(has_text="one too many")).to_be_visible()
    await expect(failed).to_have_count(0)
    await expect(box(a.page)).to_have_value("")


async def test_script_and_javascript_links_render_as_text(new_page, seed_user):
    a, b = await _people(new_page, seed_user, "Isipho", "Jabu")
    room = await _new_room(a, b)
    await open_room(b.page, room)
    await b.page.evaluate("window.__pwned = false")
    hostile = ('<script>window.__pwned = true</script><img src=x onerror="window.__pwned=true">'
               ' javascript:window.__pwned=true see https://example.org/page')
    await say(a.page, hostile)
    shown = messages(b.page).filter(has_text="<script>")
    await expect(shown.get_by_test_id("chat-body")).to_have_text(hostile)
    links = shown.get_by_role("link")
    await expect(links).to_have_count(1)
    await expect(links).to_have_attribute("href", "https://example.org/page")
    await expect(links).to_have_attribute("target", "_blank")
    await expect(links).to_have_attribute("rel", "noopener noreferrer")
    assert await shown.locator("script, img").count() == 0
    assert await b.page.evaluate("window.__pwned") is False


async def test_after_a_backend_restart_history_is_intact_and_new_messages_flow(
        new_page, seed_user, app):
    a, b = await _people(new_page, seed_user, "Khanyo", "Lwazi")
    room = await _new_room(a, b)
    await open_room(b.page, room)
    await say(a.page, "before the restart")
    await expect(messages(b.page).filter(has_text="before the restart")).to_be_visible()

    app.restart()

    # the pages reconnect by themselves and open the room again
    await expect(messages(b.page).filter(has_text="before the restart")).to_be_visible(
        timeout=30_000)
    await expect(box(a.page)).to_be_editable(timeout=30_000)
    await say(a.page, "after the restart")
    await expect(messages(b.page).filter(has_text="after the restart")).to_be_visible(
        timeout=15_000)
    await expect(messages(a.page).filter(has_text="after the restart")).to_be_visible()


async def test_with_two_workers_on_redis_a_message_reaches_a_tab_on_the_other(
        open_on, scaled_user, scaled, proxy):
    people = []
    for n, first_name in ((0, "Mandla"), (1, "Nandi"), (1, "Olwethu")):
        username = scaled_user(f"{first_name} {secrets.token_hex(2)}")
        page = await open_on(n)
        await log_in(page, username)
        people.append(page)
    a, b, c = people
    assert all(proxy.routed_events[worker.port] > 0 for worker in scaled.workers)
    room = "Scaled chat " + secrets.token_hex(3)
    await create_room(a, room)  # worker 0
    await expect(room_button(b, room)).to_be_visible(timeout=2_000)
    await open_room(b, room)    # worker 1

    await say(a, "across the workers")
    await expect(messages(b).filter(has_text="across the workers")).to_be_visible(
        timeout=2_000)
    await expect(unread(c, room)).to_have_text("1")   # worker 1, not looking at the room
    await say(b, "and back")
    await expect(messages(a).filter(has_text="and back")).to_be_visible(timeout=2_000)
    await expect(unread(c, room)).to_have_text("2")
    for page in people:
        await page.context.close()  # the scaled workers' connection cap is small


async def test_a_mention_raises_a_notification_while_the_tab_is_hidden(new_page, seed_user):
    a, b = await _people(new_page, seed_user, "Palesa", "Qiniso")
    room = await _new_room(a, b)
    await b.page.context.grant_permissions(["notifications"])
    # a hooked Notification, and a tab the browser reports as hidden
    await b.page.evaluate("""() => {
      window.__shown = [];
      window.Notification = class { constructor(title) { window.__shown.push(title); } };
      window.Notification.permission = 'granted';
      Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'});
    }""")
    await say(a.page, "no mention here")
    await expect(unread(b.page, room)).to_have_text("1")
    assert await b.page.evaluate("window.__shown") == []
    await say(a.page, f"hey @{b.username}, look")
    await expect(unread(b.page, room)).to_have_attribute("data-mentioned", "true")
    await b.page.wait_for_function("window.__shown.length === 1", timeout=5_000)
    assert "mentioned" in (await b.page.evaluate("window.__shown"))[0]


async def test_every_message_notifies_when_chosen_and_a_removed_person_loses_the_chat(
        new_page, seed_user):
    a, b = await _people(new_page, seed_user, "Refilwe", "Sipho")
    room = await _new_room(a, b)
    await open_room(b.page, room)
    await b.page.evaluate("""() => {
      window.__shown = [];
      window.Notification = class { constructor(title) { window.__shown.push(title); } };
      window.Notification.permission = 'granted';
      Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'});
    }""")
    await b.page.get_by_role("checkbox", name="Notify me of every message here").click()
    await say(a.page, "for everyone")
    await b.page.wait_for_function("window.__shown.length === 1", timeout=5_000)
    await say(b.page, "my own does not notify me")
    await expect(messages(a.page).filter(has_text="my own does not")).to_be_visible()
    assert await b.page.evaluate("window.__shown.length") == 1

    # the owner removes b from the call: b's chat closes, and stays closed
    remove = a.page.get_by_role("button", name=f"Remove {b.name} from the call")
    await expect(remove).to_be_visible(timeout=20_000)
    await remove.click()
    await expect(b.page.get_by_test_id("chat-closed")).to_contain_text("removed you",
                                                                       timeout=10_000)
    await expect(messages(b.page)).to_have_count(0)
    await say(a.page, "after the removal")
    await b.page.reload()
    await open_room(b.page, room)
    await expect(b.page.get_by_test_id("chat-closed")).to_be_visible()
    assert "after the removal" not in await b.page.content()
