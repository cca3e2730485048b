"""The lobby's room list, the create-room form and the selected room's panel."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.call import call_panel, call_view
from distokoloshe.components.chat import chat_panel, unread_badge
from distokoloshe.components.extension_places import place
from distokoloshe.components.forms import error_callout, labeled_input
from distokoloshe.extension_spec import Place
from distokoloshe.state.call import CallState
from distokoloshe.state.presence import (
    MemberView,
    PersonView,
    PresenceState,
    RoomView,
    members_of,
)
from distokoloshe.state.rooms import RoomsState
from distokoloshe.validation import ROOM_NAME_MAX


def room_member(member: rx.Var[MemberView]) -> rx.Component:
    return rx.el.li(
        rx.avatar(fallback=member.initial, size="1", radius="full", aria_hidden="true"),
        rx.text(member.name, size="1", overflow="hidden", text_overflow="ellipsis",
                white_space="nowrap", max_width="8em"),
        rx.cond(member.screen,
                rx.icon("monitor_up", size=14, aria_label="sharing their screen",
                        color="var(--accent-11)")),
        display="flex",
        align_items="center",
        gap="0.3em",
        list_style="none",
        data_testid="room-member",
        data_identity=member.identity,
    )


def room_item(room: rx.Var[RoomView]) -> rx.Component:
    selected = RoomsState.selected_room_id == room.id
    members = members_of(room.id)
    return rx.el.li(
        rx.button(
            rx.cond(room.private,
                     # hidden from screen readers: the button's name stays the room's name
                     rx.icon("lock", size=16, aria_hidden="true", data_testid="private-room"),
                     rx.icon("volume_2", size=16, aria_hidden="true")),
            rx.text(room.name, overflow="hidden", text_overflow="ellipsis",
                    white_space="nowrap", flex="1", text_align="left"),
            unread_badge(room.id),
            on_click=RoomsState.select_room(room.id),
            variant=rx.cond(selected, "solid", "ghost"),
            aria_current=rx.cond(selected, "true", "false"),
            width="100%",
            justify_content="flex-start",
            size="2",
        ),
        # One row is always reserved, so people joining and leaving calls do not make
        # the list jump under the pointer.
        rx.cond(
            members.length() > 0,
            rx.el.ul(
                rx.foreach(members, room_member),
                aria_label="In " + room.name,
                class_name="dtk-members",
            ),
            rx.text("Nobody in the call", size="1", color_scheme="gray",
                    class_name="dtk-members"),
        ),
        list_style="none",
        width="100%",
        data_testid="room-item",
        data_room=room.name,
    )


def create_room_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            labeled_input("New room", "room_name", max_length=ROOM_NAME_MAX,
                          placeholder="e.g. General"),
            rx.el.label(
                rx.el.input(type="checkbox", name="allow_unencrypted"),
                " Let browsers without end-to-end encryption join",
                class_name="dtk-check",
            ),
            error_callout(RoomsState.create_error, test_id="create-room-error"),
            rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Create room",
                      type="submit", width="100%"),
            spacing="2",
            width="100%",
        ),
        on_submit=RoomsState.create_room,
        reset_on_submit=True,
        aria_label="Create a room",
        width="100%",
    )


def room_list() -> rx.Component:
    return rx.vstack(
        rx.heading("Rooms", size="3", as_="h2", id="rooms-heading"),
        rx.cond(
            PresenceState.rooms.length() > 0,
            rx.el.ul(
                rx.foreach(PresenceState.rooms, room_item),
                aria_labelledby="rooms-heading",
                padding="0",
                margin="0",
                width="100%",
                display="flex",
                flex_direction="column",
                gap="0.25em",
            ),
            rx.text("No rooms yet. Create the first one.", color_scheme="gray", size="2"),
        ),
        rx.divider(),
        create_room_form(),
        spacing="3",
        width="100%",
    )


def member_choice(person: rx.Var[PersonView]) -> rx.Component:
    member = RoomsState.room_members.contains(person.id)
    return rx.cond(
        person.id != RoomsState.selected_room.owner_id,
        rx.el.label(
            rx.checkbox(checked=member, aria_label=person.name,
                        on_change=lambda checked: RoomsState.set_room_member(person.id,
                                                                             checked)),
            person.name,
            class_name="dtk-check",
            data_testid="member-choice",
        ),
    )


def banned_row(row) -> rx.Component:
    return rx.hstack(
        rx.text(row.name, size="2"),
        rx.spacer(),
        rx.button("Let back in", size="1", variant="soft",
                  on_click=RoomsState.lift_ban(row.id),
                  aria_label="Let " + row.name + " back in"),
        width="100%",
        align="center",
        data_testid="banned-person",
    )


def removed_people() -> rx.Component:
    """Who was removed from the room's call, each until let back in."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(rx.icon("user_x", size=16, aria_hidden="true"), "Removed",
                      variant="soft", size="1", on_click=RoomsState.load_bans),
        ),
        rx.popover.content(
            rx.vstack(
                rx.text("Removed from this room", size="2", weight="bold"),
                rx.cond(RoomsState.banned.length() > 0,
                        rx.foreach(RoomsState.banned, banned_row),
                        rx.text("Nobody", size="2", color_scheme="gray")),
                spacing="2",
                min_width="14em",
            ),
        ),
    )


def room_access() -> rx.Component:
    """The owner's switch between a public room and a members-only one, and its members."""
    room = RoomsState.selected_room
    return rx.hstack(
        rx.el.label(
            rx.switch(checked=room.private, on_change=RoomsState.set_room_private,
                      aria_label="Private: members only"),
            "Private: members only",
            class_name="dtk-check",
        ),
        rx.cond(
            room.private,
            rx.popover.root(
                rx.popover.trigger(
                    rx.button(rx.icon("users", size=16, aria_hidden="true"), "Members",
                              variant="soft", size="1"),
                ),
                rx.popover.content(
                    rx.vstack(
                        rx.text("Who may see and join this room", size="2", weight="bold"),
                        rx.foreach(PresenceState.people, member_choice),
                        spacing="2",
                        max_height="40vh",
                        overflow_y="auto",
                    ),
                    aria_label="Members of " + room.name,
                ),
            ),
        ),
        spacing="3",
        align="center",
    )


def selected_room_panel() -> rx.Component:
    room = RoomsState.selected_room
    return rx.cond(
        room,
        rx.vstack(
            rx.hstack(
                rx.heading(room.name, size="6", as_="h2", data_testid="selected-room-name"),
                rx.spacer(),
                rx.cond(
                    room.mine,
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button(rx.icon("trash_2", size=16, aria_hidden="true"),
                                      "Delete room", color_scheme="red", variant="soft"),
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Delete “" + room.name + "”?"),
                            rx.alert_dialog.description(
                                "Everyone in it is disconnected. This cannot be undone."
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft")),
                                rx.alert_dialog.action(
                                    rx.button("Delete", color_scheme="red",
                                              on_click=RoomsState.delete_room(room.id)),
                                ),
                                justify="end",
                                spacing="3",
                                margin_top="1em",
                            ),
                        ),
                    ),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                rx.text("Owned by " + room.owner_name, color_scheme="gray", size="2"),
                rx.cond(room.mine, room_access()),
                rx.cond(room.mine | CallState.i_own_room, removed_people()),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            # the chat and the extensions' panels sit inside the call's room, so what they
            # show of the call (a clip's level) can read it; the room adds no element
            call_panel(
                rx.flex(
                    rx.box(call_view(), flex="1", min_width="0"),
                    chat_panel(),
                    direction=rx.breakpoints(initial="column", lg="row"),
                    gap="1.5em",
                    width="100%",
                ),
                place(Place.BESIDE_CALL),
            ),
            width="100%",
            spacing="2",
        ),
        rx.center(
            rx.text("Pick a room on the left, or create one.", color_scheme="gray"),
            width="100%",
            padding="3em",
        ),
    )
