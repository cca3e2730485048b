"""Page frames: the centred card for signed-out pages and the lobby's header."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.theme import theme_toggle
from distokoloshe.state.session import SessionState

APP_NAME = "disTokoloshe"


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("audio_lines", size=24, aria_hidden="true"),
        rx.heading(APP_NAME, size="5", as_="h1"),
        align="center",
        spacing="2",
    )


def auth_card(*children: rx.Component) -> rx.Component:
    return rx.box(
        rx.hstack(brand(), rx.spacer(), theme_toggle(), width="100%", padding="1em"),
        rx.center(
            rx.card(rx.vstack(*children, spacing="4", width="100%"),
                    size="3", width="100%", max_width="26em"),
            padding_x="1em",
            padding_top=["1em", "4em"],
        ),
        min_height="100vh",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=SessionState.initial, size="1", radius="full"),
                rx.text(SessionState.display_name, display=["none", "inline"]),
                variant="soft",
                aria_label="Account menu for " + SessionState.display_name,
            )
        ),
        rx.menu.content(
            rx.text("Signed in as @" + SessionState.username, size="1", color_scheme="gray",
                    padding_x="0.75em", padding_y="0.25em"),
            rx.menu.separator(),
            rx.menu.item("Log out", on_select=SessionState.sign_out),
            rx.menu.item("Log out everywhere", on_select=SessionState.sign_out_everywhere,
                         color_scheme="red"),
        ),
    )


def app_header() -> rx.Component:
    return rx.el.header(
        rx.hstack(brand(), rx.spacer(), theme_toggle(), user_menu(), align="center", spacing="3"),
        padding_x="1em",
        padding_y="0.75em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
    )
