import reflex as rx

from distokoloshe import routes
from distokoloshe.components.chat import chat_signals
from distokoloshe.components.extension_places import place
from distokoloshe.components.forms import error_callout
from distokoloshe.components.js import account_theme
from distokoloshe.components.layout import app_header
from distokoloshe.components.people import over_capacity_notice, people_panel
from distokoloshe.components.rooms import room_list, selected_room_panel
from distokoloshe.extension_spec import Place
from distokoloshe.state.preferences import PreferencesState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from distokoloshe.state.session import SessionState


# On wide screens the lobby fills the window and the room list scrolls on its own, so
# picking a room far down a long list never scrolls the call out of view (and a call out
# of view gets no video: the client pauses video that nobody can see). On phones the
# list sits above the call, capped so the call stays one short scroll away.
def lobby_page() -> rx.Component:
    return rx.flex(
        account_theme(theme=PreferencesState.theme,
                      on_theme_change=lambda theme: PreferencesState.set_preference("theme",
                                                                                    theme)),
        chat_signals(),
        app_header(),
        rx.flex(
            rx.el.nav(
                room_list(),
                rx.divider(margin_y="1em"),
                people_panel(),
                place(Place.LOBBY_SIDEBAR),
                rx.cond(SessionState.is_admin,
                        rx.link(rx.icon("shield", size=16, aria_hidden="true"), "Server admin",
                                href=routes.ADMIN, display="inline-flex", align_items="center",
                                gap="0.3em", margin_top="1em", size="2")),
                aria_label="Rooms and people",
                width=["100%", "100%", "18em"],
                flex_shrink="0",
                overflow_y="auto",
                max_height=["40vh", "40vh", "none"],
                # keeps the screen-reader-only labels inside the scrolled area
                position="relative",
                padding="1em",
                border_right=["none", "none", "1px solid var(--gray-a5)"],
                border_bottom=["1px solid var(--gray-a5)", "1px solid var(--gray-a5)", "none"],
            ),
            rx.el.main(
                error_callout(RoomsState.room_error, test_id="room-error"),
                rx.cond(PresenceState.over_capacity, over_capacity_notice(),
                        selected_room_panel()),
                flex="1",
                padding="1.5em",
                min_width="0",
                overflow_y=["visible", "visible", "auto"],
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            flex="1",
            min_height="0",
            width="100%",
        ),
        direction="column",
        height=["auto", "auto", "100vh"],
        min_height="100vh",
    )
