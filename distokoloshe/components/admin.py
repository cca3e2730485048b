"""The admin page's parts: invites, accounts and rooms."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.forms import error_callout
from distokoloshe.invites import USES_MAX
from distokoloshe.state.admin import (
    INVITE_LIFETIMES,
    AccountRow,
    AdminRoomRow,
    AdminState,
    InviteRow,
)
from distokoloshe.state.rooms import RoomsState

DEFAULT_LIFETIME_HOURS = "24"


def _section(title: str, section_id: str, *children: rx.Component) -> rx.Component:
    return rx.el.section(
        rx.heading(title, size="4", as_="h2", id=section_id, margin_bottom="0.5em"),
        *children,
        aria_labelledby=section_id,
        width="100%",
    )


def _field(label: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=field_id, class_name="dtk-label"), control,
                     spacing="1")


def _room_choice(room: rx.Var[AdminRoomRow]) -> rx.Component:
    return rx.el.label(rx.el.input(type="checkbox", name="room_" + room.id.to_string()),
                       " " + room.name, class_name="dtk-check")


def invite_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                _field("Uses", "invite-uses", rx.el.input(
                    id="invite-uses", name="uses", type="number", min=1, max=USES_MAX,
                    default_value="1", required=True, class_name="dtk-select",
                    style={"width": "6em"})),
                _field("Expires after", "invite-hours", rx.el.select(
                    *[rx.el.option(label, value=str(hours)) for hours, label in INVITE_LIFETIMES],
                    id="invite-hours", name="hours", default_value=DEFAULT_LIFETIME_HOURS,
                    class_name="dtk-select")),
                spacing="4",
                align="end",
                wrap="wrap",
            ),
            rx.cond(
                AdminState.private_rooms.length() > 0,
                rx.el.fieldset(
                    rx.el.legend("Also a member of these private rooms", class_name="dtk-label"),
                    rx.foreach(AdminState.private_rooms, _room_choice),
                    border="none", padding="0", margin="0",
                ),
            ),
            rx.button(rx.icon("link", size=16, aria_hidden="true"), "Create invite link",
                      type="submit"),
            spacing="3",
        ),
        on_submit=AdminState.create_invite,
        reset_on_submit=False,
        aria_label="Create an invite",
    )


def new_invite_link() -> rx.Component:
    return rx.cond(
        AdminState.new_invite_link != "",
        rx.callout.root(
            rx.callout.text("Send this link to the person you invite. It is shown only now: "
                            "copy it before you leave this page."),
            rx.input(value=AdminState.new_invite_link, read_only=True,
                     aria_label="New invite link", width="100%", margin_top="0.5em"),
            rx.button("Done", on_click=AdminState.dismiss_invite_link, size="1",
                      variant="soft", margin_top="0.5em"),
            color_scheme="green",
            role="status",
            data_testid="new-invite",
            width="100%",
        ),
    )


def _cell(*children, **props) -> rx.Component:
    return rx.table.cell(*children, **props)


def _invite_row(invite: rx.Var[InviteRow]) -> rx.Component:
    return rx.table.row(
        _cell(invite.created),
        _cell(invite.expires),
        _cell(invite.uses),
        _cell(invite.status, data_testid="invite-status"),
        _cell(invite.rooms),
        _cell(rx.foreach(invite.used_by, lambda use: rx.text(use, size="1")),
              data_testid="invite-used-by"),
        _cell(rx.cond(invite.active,
                      rx.button("Withdraw", on_click=AdminState.revoke_invite(invite.id),
                                size="1", variant="soft", color_scheme="red",
                                aria_label="Withdraw the invite made " + invite.created))),
        data_testid="invite-row",
    )


def _table(headers: list[str], rows: rx.Component) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rows),
        size="1",
        width="100%",
    )


def invites_section() -> rx.Component:
    return _section(
        "Invites", "invites-heading",
        rx.text("Registration on this server: ", rx.code(AdminState.registration), size="2",
                margin_bottom="0.5em"),
        invite_form(),
        new_invite_link(),
        rx.box(_table(["Made", "Expires", "Uses", "Status", "Rooms", "Used by", ""],
                      rx.foreach(AdminState.invites, _invite_row)),
               overflow_x="auto", width="100%", margin_top="1em"),
    )


def _account_row(account: rx.Var[AccountRow]) -> rx.Component:
    name = account.display_name
    return rx.table.row(
        _cell(rx.text(name, weight="medium"),
              rx.text("@" + account.username, size="1", color_scheme="gray")),
        _cell(rx.cond(account.admin, rx.badge("admin"), "")),
        _cell(rx.cond(account.disabled, rx.badge("disabled", color_scheme="red"), "active"),
              data_testid="account-status"),
        _cell(account.last_signed_in),
        _cell(rx.cond(
            account.me, rx.text("you", size="1", color_scheme="gray"),
            rx.hstack(
                rx.cond(account.disabled,
                        rx.button("Enable", on_click=AdminState.enable_account(account.id),
                                  size="1", variant="soft", aria_label="Enable " + name),
                        rx.button("Disable", on_click=AdminState.disable_account(account.id),
                                  size="1", variant="soft", color_scheme="red",
                                  aria_label="Disable " + name)),
                rx.cond(account.admin,
                        rx.button("Remove admin",
                                  on_click=AdminState.set_admin(account.id, False), size="1",
                                  variant="soft", aria_label="Remove admin from " + name),
                        rx.button("Make admin",
                                  on_click=AdminState.set_admin(account.id, True), size="1",
                                  variant="soft", aria_label="Make " + name + " an admin")),
                spacing="2",
            ))),
        data_testid="account-row",
        data_username=account.username,
    )


def accounts_section() -> rx.Component:
    return _section(
        "People", "accounts-heading",
        rx.box(_table(["Name", "", "Account", "Last signed in", ""],
                      rx.foreach(AdminState.accounts, _account_row)),
               overflow_x="auto", width="100%"),
    )


def _room_row(room: rx.Var[AdminRoomRow]) -> rx.Component:
    return rx.table.row(
        _cell(room.name),
        _cell(room.owner_name),
        _cell(rx.cond(room.private, "private, " + room.members.to_string() + " members",
                      "public")),
        _cell(rx.button("Delete", on_click=[RoomsState.delete_room(room.id), AdminState.refresh],
                        size="1", variant="soft", color_scheme="red",
                        aria_label="Delete the room " + room.name)),
        data_testid="admin-room-row",
    )


def rooms_section() -> rx.Component:
    return _section(
        "Rooms", "rooms-heading",
        error_callout(RoomsState.room_error, test_id="room-error"),
        rx.box(_table(["Room", "Owner", "Who may join", ""],
                      rx.foreach(AdminState.rooms, _room_row)),
               overflow_x="auto", width="100%"),
    )
