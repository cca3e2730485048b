"""Form controls that always carry a visible label."""

from __future__ import annotations

import reflex as rx


def labeled_input(label: str, name: str, *, type: str = "text", autocomplete: str = "off",
                  required: bool = True, max_length: int | None = None, hint: str = "",
                  **props) -> rx.Component:
    field_id = f"field-{name}"
    hint_id = f"{field_id}-hint"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="dtk-label"),
        rx.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=autocomplete,
            required=required,
            max_length=max_length,
            size="3",
            width="100%",
            aria_describedby=hint_id if hint else None,
            **props,
        ),
        rx.cond(hint != "", rx.text(hint, id=hint_id, size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
    )


def error_callout(message: rx.Var[str], *, test_id: str) -> rx.Component:
    """An error that screen readers announce, shown only when there is one."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert",
                   data_testid=test_id, width="100%"),
    )


def submit_button(label: str, *, busy: rx.Var[bool] | bool = False) -> rx.Component:
    return rx.button(label, type="submit", size="3", width="100%", loading=busy)
