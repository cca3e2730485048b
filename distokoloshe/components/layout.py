"""Page frames: the centred card for signed-out pages and the lobby's header."""

from __future__ import annotations

import reflex as rx

from distokoloshe import validation
from distokoloshe.components.extension_places import menu_items
from distokoloshe.components.forms import error_callout, labeled_input, submit_button
from distokoloshe.components.theme import theme_toggle
from distokoloshe.state.account import AccountState
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
            *menu_items(),
            rx.menu.item("Change password",
                         on_select=AccountState.set_password_dialog(True)),
            rx.menu.separator(),
            rx.menu.item("Log out", on_select=SessionState.sign_out),
            rx.menu.item("Log out everywhere", on_select=SessionState.sign_out_everywhere,
                         color_scheme="red"),
        ),
    )


def change_password_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Change password"),
            rx.dialog.description(
                "Your other sessions will be logged out; this one stays signed in.",
                size="2", color_scheme="gray", margin_bottom="1em"),
            rx.form(
                rx.vstack(
                    labeled_input("Current password", "current_password", type="password",
                                  autocomplete="current-password",
                                  max_length=validation.PASSWORD_MAX),
                    labeled_input("New password", "new_password", type="password",
                                  autocomplete="new-password",
                                  max_length=validation.PASSWORD_MAX,
                                  hint="8–128 characters, not a common password."),
                    labeled_input("Confirm new password", "confirm_password", type="password",
                                  autocomplete="new-password",
                                  max_length=validation.PASSWORD_MAX),
                    error_callout(AccountState.password_error, test_id="password-error"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft",
                                                  color_scheme="gray", size="3")),
                        submit_button("Change password", busy=AccountState.password_busy),
                        spacing="3", width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AccountState.change_password,
                aria_label="Change password",
                width="100%",
            ),
            max_width="26em",
        ),
        open=AccountState.password_dialog_open,
        on_open_change=AccountState.set_password_dialog,
    )


def app_header() -> rx.Component:
    return rx.el.header(
        rx.hstack(brand(), rx.spacer(), theme_toggle(), user_menu(), align="center", spacing="3"),
        change_password_dialog(),
        rx.cond(AccountState.password_notice != "",
                rx.callout(AccountState.password_notice, icon="check", color_scheme="green",
                           role="status", data_testid="password-notice", margin_top="0.75em")),
        padding_x="1em",
        padding_y="0.75em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
    )
