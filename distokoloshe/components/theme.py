"""The light/dark toggle. Reflex follows the system theme until the user picks one, then
persists it."""

import reflex as rx


def theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon"), dark=rx.icon("sun")),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        size="3",
        aria_label=rx.color_mode_cond(light="Switch to dark theme", dark="Switch to light theme"),
        title="Toggle theme",
    )
