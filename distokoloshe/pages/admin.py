import reflex as rx

from distokoloshe import routes
from distokoloshe.components.admin import accounts_section, invites_section, rooms_section
from distokoloshe.components.forms import error_callout
from distokoloshe.components.layout import app_header
from distokoloshe.state.admin import AdminState


def admin_page() -> rx.Component:
    return rx.box(
        app_header(),
        rx.el.main(
            rx.vstack(
                rx.link(rx.icon("arrow_left", size=16, aria_hidden="true"), "Back to the rooms",
                        href=routes.LOBBY, display="inline-flex", align_items="center",
                        gap="0.3em", size="2"),
                rx.heading("Server admin", size="6", as_="h1"),
                error_callout(AdminState.admin_error, test_id="admin-error"),
                invites_section(),
                rx.divider(),
                accounts_section(),
                rx.divider(),
                rooms_section(),
                spacing="5",
                width="100%",
                max_width="64em",
            ),
            padding="1.5em",
        ),
        min_height="100vh",
    )
