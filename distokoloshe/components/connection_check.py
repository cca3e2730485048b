"""The connection check: a button, the browser's checks, and what each one found."""

from __future__ import annotations

import reflex as rx

from distokoloshe import routes
from distokoloshe.components.forms import error_callout
from distokoloshe.components.livekit import connection_check
from distokoloshe.connection_check import Finding
from distokoloshe.state.connection_check import ConnectionCheckState

ICONS = {"success": ("circle_check", "green"), "failed": ("circle_x", "red"),
         "skipped": ("circle_minus", "amber"), "running": ("loader", "gray")}


def _status_icon(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        *[(name, rx.icon(icon, size=18, color=f"var(--{color}-11)", aria_hidden="true"))
          for name, (icon, color) in ICONS.items()],
        rx.fragment(),
    )


def finding_row(finding: rx.Var[Finding]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            _status_icon(finding.status),
            rx.vstack(rx.text(finding.title, weight="bold", size="2"),
                      rx.text(finding.text, size="2"), spacing="1"),
            align="start",
            spacing="2",
        ),
        list_style="none",
        data_testid="check-finding",
        data_check=finding.check,
        data_status=finding.status,
    )


def connection_check_panel() -> rx.Component:
    state = ConnectionCheckState
    return rx.vstack(
        rx.text("This checks that your browser and network can reach the call server, get "
                "sound and video through, and send your microphone, before you join a call. "
                "It takes about half a minute and needs no account.", size="2"),
        connection_check(server_url=state.server_url, token=state.token,
                         on_result=state.record, on_done=state.finish),
        rx.button(rx.cond(state.running, "Checking…", "Run the check"),
                  on_click=state.start, disabled=state.running),
        error_callout(state.error, test_id="check-error"),
        rx.el.ul(rx.foreach(state.findings, finding_row), aria_live="polite",
                 aria_label="What the check found", padding="0", margin="0",
                 display="flex", flex_direction="column", gap="0.75em"),
        rx.cond(state.done, rx.text("The check is done.", size="2", color_scheme="gray")),
        spacing="3",
        width="100%",
    )


def connection_check_link(*, new_tab: bool = False) -> rx.Component:
    """From a call, in a new tab, so following it does not leave the call."""
    return rx.link("Check your connection", href=routes.CHECK, size="2", is_external=new_tab)
