"""The selected room's chat: the message list, the box, and what the room list shows of it.

A message's text is only ever React text (escaped), and only its http and https parts,
cut out in the domain (chat.parts_of), become links.
"""

from __future__ import annotations

import reflex as rx

from distokoloshe.chat import BODY_MAX
from distokoloshe.components.forms import error_callout
from distokoloshe.components.js import (
    chat_scroll,
    mention_alert,
    notify_button,
    relative_time,
    title_count,
)
from distokoloshe.state.chat import ChatMessageView, ChatState, MessagePart, PendingMessage

TITLE = "disTokoloshe"
EVERY_MESSAGE = "Notify me of every message here, not only mentions"


def message_part(part: rx.Var[MessagePart]) -> rx.Component:
    return rx.cond(
        part.url != "",
        rx.link(part.text, href=part.url, target="_blank", rel="noopener noreferrer"),
        rx.el.span(part.text),
    )


def message_actions(message: rx.Var[ChatMessageView]) -> rx.Component:
    mine = message.author_id == ChatState.me
    return rx.hstack(
        rx.cond(mine, rx.button("Edit", size="1", variant="ghost",
                                on_click=ChatState.start_edit(message.id),
                                aria_label="Edit your message")),
        rx.cond(mine | ChatState.moderator,
                rx.button("Delete", size="1", variant="ghost", color_scheme="red",
                          on_click=ChatState.delete(message.id),
                          aria_label="Delete the message by " + message.author_name)),
        spacing="1",
        class_name="dtk-chat-actions",
    )


def edit_form(message: rx.Var[ChatMessageView]) -> rx.Component:
    return rx.form(
        rx.text_area(name="body", default_value=message.body, max_length=BODY_MAX,
                     enter_key_submit=True, aria_label="Edit your message", rows="2",
                     width="100%", auto_focus=True),
        rx.hstack(
            rx.button("Save", type="submit", size="1"),
            rx.button("Cancel", type="button", size="1", variant="soft",
                      on_click=ChatState.cancel_edit),
            spacing="2",
        ),
        on_submit=ChatState.save_edit,
        width="100%",
    )


def message_row(message: rx.Var[ChatMessageView]) -> rx.Component:
    header = rx.hstack(
        rx.text(message.author_name, weight="bold", size="2"),
        relative_time(iso=message.created_at),
        rx.cond(message.edited, rx.text("(edited)", size="1", color_scheme="gray",
                                        data_testid="chat-edited")),
        spacing="2",
        align="baseline",
    )
    body = rx.cond(
        ChatState.editing_id == message.id,
        edit_form(message),
        rx.text(rx.foreach(message.parts, message_part), size="2",
                class_name="dtk-chat-body", data_testid="chat-body"),
    )
    return rx.el.li(
        rx.cond(message.continues,
                rx.box(width="2em", flex_shrink="0"),
                rx.avatar(fallback=message.initial, size="2", radius="full",
                          aria_hidden="true")),
        rx.box(
            rx.cond(message.continues,
                    # the author, for screen readers, when the group hides it
                    rx.el.span(message.author_name + ": ", class_name="dtk-visually-hidden"),
                    header),
            body,
            flex="1",
            min_width="0",
        ),
        rx.cond(ChatState.editing_id != message.id, message_actions(message)),
        class_name="dtk-chat-message",
        data_continues=message.continues.to_string(),
        data_testid="chat-message",
        data_id=message.id,
    )


def pending_row(pending: rx.Var[PendingMessage]) -> rx.Component:
    return rx.el.li(
        rx.box(width="2em", flex_shrink="0"),
        rx.box(
            rx.text(pending.body, size="2", class_name="dtk-chat-body", color_scheme="gray"),
            rx.cond(
                pending.error != "",
                rx.hstack(
                    rx.text("Not sent: " + pending.error, size="1", color_scheme="red",
                            role="alert"),
                    rx.button("Retry", size="1", variant="soft",
                              on_click=ChatState.retry(pending.key)),
                    rx.button("Discard", size="1", variant="ghost",
                              on_click=ChatState.discard(pending.key)),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text("Sending…", size="1", color_scheme="gray"),
            ),
            flex="1",
            min_width="0",
        ),
        class_name="dtk-chat-message",
        data_testid="chat-pending",
        data_failed=(pending.error != "").to_string(),
    )


def message_list() -> rx.Component:
    live_here = ChatState.live_room == ChatState.room_id
    return chat_scroll(
        rx.cond(ChatState.has_older,
                rx.button("Load older messages", size="1", variant="soft",
                          on_click=ChatState.load_older, margin="0.5em auto",
                          display="block"),
                rx.cond(ChatState.older.length() > 0,
                        rx.text("This is the start of the chat.", size="1",
                                color_scheme="gray", text_align="center",
                                data_testid="chat-start"))),
        rx.el.ol(
            rx.foreach(ChatState.older,
                       lambda m: rx.cond(~live_here | (m.id <= ChatState.live_start),
                                         message_row(m))),
            rx.cond(live_here, rx.foreach(ChatState.live, message_row)),
            aria_live="polite",
            aria_relevant="additions",
            aria_label="Messages",
            class_name="dtk-chat-list",
        ),
        rx.el.ul(rx.foreach(ChatState.pending, pending_row), class_name="dtk-chat-list",
                 aria_label="Messages you are sending"),
        on_reach_top=ChatState.load_older,
        class_name="dtk-chat-scroll",
    )


def message_box() -> rx.Component:
    return rx.form(
        rx.el.label("Message", html_for="chat-box", class_name="dtk-visually-hidden"),
        rx.hstack(
            rx.text_area(id="chat-box", name="message", placeholder="Message the room",
                         enter_key_submit=True, rows="2", max_length=BODY_MAX + 1000,
                         width="100%", aria_describedby="chat-box-hint"),
            rx.button(rx.icon("send", size=16, aria_hidden="true"), type="submit",
                      aria_label="Send"),
            width="100%",
            align="end",
        ),
        rx.text("Enter sends, Shift+Enter starts a new line.", id="chat-box-hint", size="1",
                color_scheme="gray"),
        on_submit=ChatState.send,
        width="100%",
    )


def chat_panel() -> rx.Component:
    """The selected room's chat, open to whoever the room admits, in its call or not."""
    return rx.el.section(
        rx.hstack(
            rx.heading("Chat", size="3", as_="h3", id="chat-heading"),
            notify_button(label="Allow notifications"),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.cond(
            ChatState.closed_reason != "",
            rx.callout(ChatState.closed_reason, icon="ban", color_scheme="gray",
                       data_testid="chat-closed"),
            rx.fragment(
                message_list(),
                error_callout(ChatState.chat_error, test_id="chat-error"),
                message_box(),
                rx.el.label(
                    rx.checkbox(checked=ChatState.notify_all == "1",
                                on_change=ChatState.set_notify_all, aria_label=EVERY_MESSAGE),
                    EVERY_MESSAGE,
                    class_name="dtk-check",
                ),
            ),
        ),
        aria_labelledby="chat-heading",
        class_name="dtk-chat",
        data_testid="chat",
    )


def unread_badge(room_id: rx.Var[int]) -> rx.Component:
    """How many messages of a room the user has not read, and @ when one mentions them."""
    key = room_id.to_string()
    count = ChatState.unread[key]
    mentioned = ChatState.mentioned.contains(room_id)
    return rx.cond(
        ChatState.unread.contains(key),
        rx.badge(rx.cond(mentioned, "@ ", ""), count,
                 color_scheme=rx.cond(mentioned, "red", "gray"), radius="full",
                 aria_label=rx.cond(mentioned, count.to_string() + " unread, mentioning you",
                                    count.to_string() + " unread"),
                 data_testid="unread", data_mentioned=mentioned.to_string()),
    )


def chat_signals() -> rx.Component:
    """The tab title's unread count and the notification for a mention."""
    return rx.fragment(
        title_count(count=ChatState.unread_total, title=TITLE),
        mention_alert(mentioned=ChatState.mentioned, text="You were mentioned in a chat",
                      every_message=ChatState.notify_all == "1",
                      latest_id=ChatState.live_last_id,
                      latest_author=ChatState.live_last_author, me=ChatState.me,
                      message_text="A new message in the room you are in"),
    )
