import reflex as rx

from distokoloshe import routes, validation
from distokoloshe.components.forms import error_callout, labeled_input, submit_button
from distokoloshe.components.layout import auth_card
from distokoloshe.state.auth import AuthFormState


def register_page() -> rx.Component:
    return auth_card(
        rx.heading("Create an account", size="6", as_="h2"),
        rx.cond(AuthFormState.invite != "",
                rx.text("You have an invite: choose a username and a password.", size="2")),
        rx.cond(AuthFormState.registration_note != "",
                rx.callout(AuthFormState.registration_note, icon="info", color_scheme="amber",
                           data_testid="registration-note", width="100%")),
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="invite", value=AuthFormState.invite),
                labeled_input("Username", "username", autocomplete="username", max_length=32,
                              hint="3–32 letters, digits, dots, dashes or underscores."),
                labeled_input("Display name (optional)", "display_name", autocomplete="nickname",
                              required=False, max_length=validation.DISPLAY_NAME_MAX),
                labeled_input("Password", "password", type="password",
                              autocomplete="new-password", max_length=validation.PASSWORD_MAX,
                              hint="8–128 characters."),
                labeled_input("Confirm password", "confirm", type="password",
                              autocomplete="new-password", max_length=validation.PASSWORD_MAX),
                error_callout(AuthFormState.register_error, test_id="register-error"),
                submit_button("Create account", busy=AuthFormState.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthFormState.register,
            aria_label="Create an account",
            width="100%",
        ),
        rx.text("Already registered? ", rx.link("Log in", href=routes.LOGIN), size="2"),
    )
