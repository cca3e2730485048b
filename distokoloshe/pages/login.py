import reflex as rx

from distokoloshe import routes
from distokoloshe.components.connection_check import connection_check_link
from distokoloshe.components.forms import error_callout, labeled_input, submit_button
from distokoloshe.components.layout import auth_card
from distokoloshe.state.auth import AuthFormState


def login_page() -> rx.Component:
    return auth_card(
        rx.heading("Log in", size="6", as_="h2"),
        rx.form(
            rx.vstack(
                labeled_input("Username", "username", autocomplete="username", max_length=32),
                labeled_input("Password", "password", type="password",
                              autocomplete="current-password", max_length=128),
                error_callout(AuthFormState.login_error, test_id="login-error"),
                submit_button("Log in", busy=AuthFormState.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthFormState.log_in,
            aria_label="Log in",
            width="100%",
        ),
        rx.text("No account yet? ", rx.link("Register", href=routes.REGISTER), size="2"),
        rx.text("Trouble with calls? ", connection_check_link(), size="2"),
    )
