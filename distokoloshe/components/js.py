"""Python wrappers for the small React components in components_js/ that are not the call's.

Only props go in and only typed events come out (see README, "Layout"). The JS modules
are linked into Reflex's external assets, the same mechanism `rx.asset(shared=True)`
uses, so Vite bundles them and their pinned npm dependencies. The call's wrappers are in
components/livekit.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import reflex as rx

from distokoloshe.settings import PROJECT_ROOT

COMPONENTS_JS = PROJECT_ROOT / "components_js"
JS_SUFFIXES = (".js", ".jsx")
_linked = False


def _link(source: Path, link: Path) -> None:
    """Point `link` at `source`, atomically, so parallel compiles never see a half-made link."""
    if link.is_symlink() and link.resolve() == source.resolve():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    staged = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    staged.unlink(missing_ok=True)
    staged.symlink_to(source)
    staged.replace(link)


def _link_tree() -> None:
    """Links every JS module of components_js/, keeping its folders, so the modules' relative
    imports of one another (`./context.js`, `../keyboard.js`) resolve in the build too."""
    global _linked
    if _linked:
        return
    link_root = Path.cwd() / "assets" / "external" / "components_js"
    for source in sorted(COMPONENTS_JS.rglob("*")):
        if source.is_file() and source.suffix in JS_SUFFIXES:
            _link(source, link_root / source.relative_to(COMPONENTS_JS))
    _linked = True


def js_module(path: str) -> str:
    """The import path of components_js/<path> (e.g. "livekit/room.jsx"), linked into
    assets/external/ with the rest of components_js/."""
    source = COMPONENTS_JS / path
    if not source.is_file() or COMPONENTS_JS.resolve() not in source.resolve().parents:
        raise FileNotFoundError(source)
    _link_tree()
    return f"$/public/external/components_js/{path}"


class KeyCapture(rx.Component):
    """A button that reports the next physical key pressed (KeyboardEvent.code)."""

    library = js_module("keyboard_shortcuts.jsx")
    tag = "KeyCapture"

    value: rx.Var[str]
    # shown while it waits for the key
    prompt: rx.Var[str]
    on_capture: rx.EventHandler[lambda code: [code]]


class AccountTheme(rx.Component):
    """Applies the theme saved to the account and reports the user's changes to it."""

    library = js_module("account_theme.jsx")
    tag = "AccountTheme"

    theme: rx.Var[Literal["", "system", "light", "dark"]]  # "" until the account's arrives
    on_theme_change: rx.EventHandler[lambda theme: [theme]]


class KeyboardShortcuts(rx.Component):
    """Reports single-key shortcuts (e.g. "M", "Shift+L") pressed outside text fields."""

    library = js_module("keyboard_shortcuts.jsx")
    tag = "KeyboardShortcuts"

    keys: rx.Var[list[str]]
    on_shortcut: rx.EventHandler[lambda key: [key]]


class LazyToaster(rx.Component):
    """Reflex's toast provider (sonner), loaded only when the first toast is sent."""

    library = js_module("lazy_toaster.jsx")
    tag = "LazyToaster"
    lib_dependencies: list[str] = ["sonner@2.0.8"]  # the version Reflex's own toaster pins

    position: rx.Var[str]
    rich_colors: rx.Var[bool]
    expand: rx.Var[bool]
    close_button: rx.Var[bool]


def lazy_toaster() -> rx.Component:
    """The same toaster Reflex's default one is: bottom right, rich colours, expanded."""
    return LazyToaster.create(position="bottom-right", rich_colors=True, expand=True,
                              close_button=False)


def key_capture(*children, prompt: str = "Press a key…", **props) -> rx.Component:
    return KeyCapture.create(*children, prompt=prompt, **props)


account_theme = AccountTheme.create
keyboard_shortcuts = KeyboardShortcuts.create


class RelativeTime(rx.Component):
    """A message's time, relative ("5 minutes ago"), with the exact time on hover."""

    library = js_module("chat.jsx")
    tag = "RelativeTime"

    iso: rx.Var[str]


class ChatScroll(rx.Component):
    """The chat's scrolled message list: kept at the bottom as messages arrive, and asking
    for older ones at the top."""

    library = js_module("chat.jsx")
    tag = "ChatScroll"

    class_name: rx.Var[str]
    on_reach_top: rx.EventHandler[lambda: []]


class TitleCount(rx.Component):
    """The tab's title, with the unread count in front while there is one."""

    library = js_module("chat.jsx")
    tag = "TitleCount"

    count: rx.Var[int]
    title: rx.Var[str]


class MentionAlert(rx.Component):
    """A browser notification (once allowed) while the tab is hidden: when a room newly
    mentions the user, or (if they chose so) for every message in the room it shows."""

    library = js_module("chat.jsx")
    tag = "MentionAlert"

    mentioned: rx.Var[list[int]]
    text: rx.Var[str]
    # and, when on, every message of someone else in the room this tab shows
    every_message: rx.Var[bool]
    latest_id: rx.Var[int]
    latest_author: rx.Var[int]
    me: rx.Var[int]
    message_text: rx.Var[str]


class NotifyButton(rx.Component):
    """A button that asks the browser for permission to notify, until it has been asked."""

    library = js_module("chat.jsx")
    tag = "NotifyButton"

    label: rx.Var[str]


relative_time = RelativeTime.create
chat_scroll = ChatScroll.create
title_count = TitleCount.create
mention_alert = MentionAlert.create
notify_button = NotifyButton.create
