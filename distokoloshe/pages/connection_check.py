import reflex as rx

from distokoloshe import routes
from distokoloshe.components.connection_check import connection_check_panel
from distokoloshe.components.layout import auth_card


def connection_check_page() -> rx.Component:
    return auth_card(
        rx.heading("Connection check", size="6", as_="h2"),
        connection_check_panel(),
        rx.text(rx.link("Back to the login page", href=routes.LOGIN), size="2"),
    )
