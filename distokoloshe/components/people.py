"""Who is online and who is not, live from presence."""

from __future__ import annotations

import reflex as rx

from distokoloshe.state.presence import PersonView, PresenceState
from distokoloshe.state.rooms import RoomsState


def _person(person: rx.Var[PersonView], *, online: bool) -> rx.Component:
    return rx.el.li(
        rx.box(
            rx.avatar(fallback=person.initial, size="2", radius="full", aria_hidden="true"),
            rx.box(class_name="dtk-presence-dot", data_online=str(online).lower()),
            position="relative",
        ),
        rx.text(person.name, size="2", overflow="hidden", text_overflow="ellipsis",
                white_space="nowrap", color_scheme=None if online else "gray"),
        rx.el.span(" (online)" if online else " (offline)", class_name="dtk-visually-hidden"),
        display="flex",
        align_items="center",
        gap="0.5em",
        list_style="none",
        opacity="1" if online else "0.6",
        data_testid="person",
        data_online=str(online).lower(),
    )


def _people_list(online: bool, heading_id: str) -> rx.Component:
    listed = PresenceState.online.contains  # evaluated in the browser, per person
    return rx.el.ul(
        rx.foreach(
            PresenceState.people,
            lambda person: rx.cond(listed(person.id) == online, _person(person, online=online)),
        ),
        aria_labelledby=heading_id,
        padding="0",
        margin="0",
        display="flex",
        flex_direction="column",
        gap="0.35em",
    )


def people_panel() -> rx.Component:
    return rx.vstack(
        rx.heading("Online — " + PresenceState.online.length().to_string(), size="3",
                   as_="h2", id="online-heading"),
        _people_list(True, "online-heading"),
        rx.heading("Offline", size="3", as_="h2", id="offline-heading", margin_top="0.5em"),
        _people_list(False, "offline-heading"),
        spacing="2",
        width="100%",
    )


def over_capacity_notice() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("users", size=18)),
        rx.callout.text(PresenceState.over_capacity),
        rx.button("Try again", on_click=[PresenceState.try_again, RoomsState.load_lobby],
                  size="1", margin_top="0.5em"),
        color_scheme="amber",
        role="alert",
        data_testid="over-capacity",
        width="100%",
    )
