"""The selected room's chat in one tab: its history, what this tab is sending, editing.

`live_room`, `live_start`, `live`, `live_last_id`, `live_last_author`, `unread`,
`unread_total` and `mentioned` are never set here: the presence hub pushes them
(realtime/chat_feed.py), so this backend copy stays at its defaults by design and nothing
may read them. The tab shows `older` up to `live_start`,
then `live`, then what it is still sending (`pending`).
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from distokoloshe import calls, chat, validation
from distokoloshe.realtime.presence_hub import hub
from distokoloshe.realtime.views import ChatMessageView, MessagePart, chat_message_views
from distokoloshe.state.session import NotSignedIn, SessionState, SignedIn

__all__ = ["ChatMessageView", "ChatState", "MessagePart", "PendingMessage"]
MAX_PENDING = 10


@dataclasses.dataclass
class PendingMessage:
    """A message this tab sent that is not stored yet, or that failed (`error` says why)."""

    key: int
    body: str
    error: str


def _merge(*pages: list[ChatMessageView]) -> list[ChatMessageView]:
    by_id = {m.id: m for page in pages for m in page}
    return [by_id[i] for i in sorted(by_id)]


def _refill(*, session, user, room_id) -> tuple[chat.Page, chat.Page | None]:
    """The newest page and the one before it."""
    newest = chat.history(session=session, user=user, room_id=room_id)
    before = (chat.history(session=session, user=user, room_id=room_id,
                           before_id=newest.messages[0].id)
              if newest.more and newest.messages else None)
    return newest, before


class ChatState(SignedIn, rx.State):
    # pushed by the hub (see the module's docstring)
    live_room: int = 0
    live_start: int = 0
    live: list[ChatMessageView] = []
    live_last_id: int = 0
    live_last_author: int = 0
    unread: dict[str, int] = {}
    unread_total: int = 0
    mentioned: list[int] = []
    # this tab's own
    room_id: int = 0
    me: int = 0
    moderator: bool = False
    older: list[ChatMessageView] = []
    has_older: bool = False
    pending: list[PendingMessage] = []
    closed_reason: str = ""
    chat_error: str = ""
    editing_id: int = 0
    # "1": notify of every message in the room this tab shows while it is hidden (this
    # browser's choice, kept in it)
    notify_all: str = rx.LocalStorage("", name="dtk_chat_notify_all", sync=True)
    _next_key: int = 0

    async def _open(self, entry: calls.Entry | None) -> None:
        """RoomsState shows a room (or none): this tab's chat follows it."""
        sid = self.router.session.session_id
        page = entry.chat_page if entry is not None else None
        self.room_id = entry.room.id if entry is not None else 0
        self.moderator = entry is not None and entry.call is not None and entry.call.owner
        self.me = (await self.get_state(SessionState))._verified_user_id
        self.older = chat_message_views(page.messages) if page is not None else []
        self.has_older = page.more if page is not None else False
        self.pending, self.editing_id, self.chat_error = [], 0, ""
        self.closed_reason = ("" if page is not None or entry is None
                              else "The owner removed you from this room, so its chat is "
                                   "closed to you.")
        if page is None:
            hub.unwatch_chat(sid=sid)
            return
        hub.watch_chat(sid=sid, room_id=self.room_id)
        await hub.chat_read(self.me)

    async def _post(self, pending: PendingMessage):
        try:
            shown = await self._as_user(chat.post, room_id=self.room_id, body=pending.body)
        except NotSignedIn:
            return SessionState.session_failed
        except chat.ChatRefused as refusal:
            self.pending = [dataclasses.replace(p, error=str(refusal))
                            if p.key == pending.key else p for p in self.pending]
            return None
        await hub.chat_posted(shown.room_id, shown.id)
        self.pending = [p for p in self.pending if p.key != pending.key]
        return rx.set_value("chat-box", "")

    @rx.event
    async def send(self, form_data: dict):
        """Enter in the box: the message shows at once, and is confirmed once stored."""
        body = form_data.get("message") if isinstance(form_data, dict) else None
        self.chat_error = ""
        try:
            body = chat.clean_body(body)
        except chat.ChatRefused as refusal:
            self.chat_error = str(refusal)
            return
        if not self.room_id or len(self.pending) >= MAX_PENDING:
            self.chat_error = "Wait until your other messages are sent."
            return
        self._next_key += 1
        # a new try replaces the failed ones: their text is still in the box
        pending = PendingMessage(self._next_key, body, "")
        self.pending = [p for p in self.pending if not p.error] + [pending]
        yield
        yield await self._post(pending)

    @rx.event
    async def retry(self, key: int):
        """Send a message that failed again."""
        found = [p for p in self.pending if p.key == key and p.error]
        if not found or isinstance(key, bool):
            return
        self.pending = [dataclasses.replace(p, error="") if p.key == key else p
                        for p in self.pending]
        yield
        yield await self._post(found[0])

    @rx.event
    def discard(self, key: int):
        """Forget a message that failed."""
        self.pending = [p for p in self.pending if p.key != key]

    @rx.event
    async def load_older(self):
        """Scrolled to the top: the 50 messages before the oldest one shown."""
        if not self.room_id or not self.has_older or not self.older:
            return None
        try:
            page = await self._as_user(chat.history, room_id=self.room_id,
                                       before_id=self.older[0].id)
        except NotSignedIn:
            return SessionState.session_failed
        except chat.ChatRefused as refusal:
            self.chat_error = str(refusal)
            return None
        self.older = _merge(chat_message_views(page.messages), self.older)
        self.has_older = page.more
        return None

    @rx.event
    async def refill(self):
        """The hub cut the live window back: fetch what fell out of it."""
        if not self.room_id:
            return None
        try:
            newest, before = await self._as_user(_refill, room_id=self.room_id)
        except NotSignedIn:
            return SessionState.session_failed
        except chat.ChatRefused:
            return await self.reopen()
        self.older = _merge(self.older, chat_message_views(newest.messages),
                            chat_message_views(before.messages if before else []))
        return None

    @rx.event
    async def reopen(self):
        """Who may read this room changed: read it again, or close it."""
        if not self.room_id:
            return None
        try:
            page = await self._as_user(chat.history, room_id=self.room_id)
        except NotSignedIn:
            return SessionState.session_failed
        except chat.ChatRefused as refusal:
            hub.unwatch_chat(sid=self.router.session.session_id)
            self.older, self.has_older, self.pending = [], False, []
            self.closed_reason = str(refusal)
            return None
        self.older, self.has_older = chat_message_views(page.messages), page.more
        hub.watch_chat(sid=self.router.session.session_id, room_id=self.room_id)
        return None

    @rx.event
    def set_notify_all(self, on: bool):
        """The switch for a notification of every message, not only mentions."""
        self.notify_all = "1" if on is True else ""

    @rx.event
    def start_edit(self, message_id: int):
        self.editing_id = validation.record_id(message_id) or 0
        self.chat_error = ""

    @rx.event
    def cancel_edit(self):
        self.editing_id = 0

    @rx.event
    async def save_edit(self, form_data: dict):
        """Save the message being edited (only its author may)."""
        body = form_data.get("body") if isinstance(form_data, dict) else None
        try:
            message = await self._as_user(chat.edit, message_id=self.editing_id, body=body)
        except NotSignedIn:
            return SessionState.session_failed
        except chat.ChatRefused as refusal:
            self.chat_error = str(refusal)
            return None
        self.editing_id = 0
        await hub.chat_changed(message.room_id)
        await self._reload_older()
        return None

    @rx.event
    async def delete(self, message_id: int):
        """Delete a message: its author's own, or any, for the room's owner."""
        try:
            message = await self._as_user(chat.delete, message_id=message_id)
        except NotSignedIn:
            return SessionState.session_failed
        except chat.ChatRefused as refusal:
            self.chat_error = str(refusal)
            return None
        self.older = [m for m in self.older if m.id != message.id]
        await hub.chat_changed(message.room_id)
        return None

    async def _reload_older(self) -> None:
        """An edit shows in this tab's own copy of the history too."""
        if self.older:
            page = await self._as_user(chat.history, room_id=self.room_id,
                                       before_id=self.older[-1].id + 1)
            self.older = _merge(self.older, chat_message_views(page.messages))
