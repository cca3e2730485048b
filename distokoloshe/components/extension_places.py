"""Where the running extensions' panels go: each place of the core calls `place(...)`."""

from __future__ import annotations

import reflex as rx

from distokoloshe import extension_registry
from distokoloshe.extension_spec import Place


def place(where: Place) -> rx.Component:
    """The panels of every running extension for `where`, in the order EXTENSIONS lists
    them; nothing at all when none has one."""
    return rx.fragment(*[
        rx.box(panel.render(), data_extension_panel=panel.key, width="100%",
               display="contents" if where == Place.CONTROL_BAR else "block")
        for panel in extension_registry.active().panels(where)
    ])


def menu_items() -> list[rx.Component]:
    """A user-menu link to each running extension's page that asks for one."""
    return [rx.menu.item(page.menu, on_select=rx.redirect(page.route))
            for _extension, page in extension_registry.active().pages() if page.menu]
