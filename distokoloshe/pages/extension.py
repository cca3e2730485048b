"""An extension's page, in the app's frame: the header (signed-in pages) and a way back."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from distokoloshe import routes
from distokoloshe.components.layout import app_header, brand
from distokoloshe.components.theme import theme_toggle
from distokoloshe.extension_spec import Page


def extension_page(page: Page) -> Callable[[], rx.Component]:
    def render() -> rx.Component:
        header = (rx.hstack(brand(), rx.spacer(), theme_toggle(), width="100%", padding="1em")
                  if page.public else app_header())
        return rx.flex(
            header,
            rx.el.main(
                rx.link(rx.icon("arrow_left", size=16, aria_hidden="true"), "Back to the rooms",
                        href=routes.LOBBY, display="inline-flex", align_items="center",
                        gap="0.3em", size="2"),
                page.component(),
                padding="1.5em",
                width="100%",
                max_width="60em",
            ),
            direction="column",
            min_height="100vh",
        )

    return render
