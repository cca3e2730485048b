"""The Reflex app: every page registered in one place, and the realtime adapters bound to
the states they feed. The theme is set in rxconfig.py."""

import reflex as rx
from reflex.environment import environment
from reflex.utils.exec import get_frontend_mount

from distokoloshe import extension_registry, log_hygiene, routes
from distokoloshe.api import api
from distokoloshe.components.js import lazy_toaster
from distokoloshe.pages.admin import admin_page
from distokoloshe.pages.connection_check import connection_check_page
from distokoloshe.pages.extension import extension_page
from distokoloshe.pages.lobby import lobby_page
from distokoloshe.pages.login import login_page
from distokoloshe.pages.register import register_page
from distokoloshe.realtime.client_reports import log_frontend_exception
from distokoloshe.realtime.edge_headers import with_edge_headers
from distokoloshe.realtime.flood_guard import guard_events
from distokoloshe.realtime.presence_hub import hub
from distokoloshe.settings import get_settings
from distokoloshe.state.admin import AdminState
from distokoloshe.state.auth import AuthFormState
from distokoloshe.state.chat import ChatState
from distokoloshe.state.lobby import LobbyState
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.session import SessionState

log_hygiene.install()  # in every worker: no client token, JWT or control byte reaches a log
# The extensions EXTENSIONS lists, imported and checked before any page is built: a clash
# or a missing one stops the start here, with a message saying what to change.
extensions = extension_registry.activate(get_settings().extensions,
                                         reserved_routes=routes.RESERVED)
# `./tokoloshe up` runs the backend alone on a static build it makes only when that build's
# inputs changed, and has it serve the build (SERVE_FRONTEND_BUILD), as the single-port run
# serves its own. Either way the backend serves the pages, so it also does nginx's part at
# the edge.
mounts_build = (get_settings().serve_frontend_build
                and not environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.get())
serves_pages = mounts_build or environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.get()


def with_frontend_build(asgi_app):
    asgi_app.routes.append(get_frontend_mount(router=app.router))
    return asgi_app


app = rx.App(stylesheets=["/app.css"],
             toaster=lazy_toaster(),  # sonner loads with the first toast, not on every page
             api_transformer=[*([with_frontend_build] if mounts_build else []), api,
                              *([with_edge_headers] if serves_pages else [])],
             frontend_exception_handler=log_frontend_exception)

app.add_page(lobby_page, route=routes.LOBBY, title="disTokoloshe",
             on_load=LobbyState.enter)
app.add_page(login_page, route=routes.LOGIN, title="Log in · disTokoloshe",
             on_load=SessionState.require_signed_out)
app.add_page(register_page, route=routes.REGISTER, title="Register · disTokoloshe",
             on_load=[SessionState.require_signed_out, AuthFormState.open_registration])
app.add_page(admin_page, route=routes.ADMIN, title="Admin · disTokoloshe",
             on_load=AdminState.enter)
# Open to anyone, signed in or not: it runs before someone can join a call.
app.add_page(connection_check_page, route=routes.CHECK,
             title="Connection check · disTokoloshe")

# A signed-in extension page gets live fields as the lobby does (its tab counts as online).
for _extension, page in extensions.pages():
    app.add_page(extension_page(page), route=page.route, title=f"{page.title} · disTokoloshe",
                 on_load=[*([] if page.public else [SessionState.require_signed_in,
                                                     PresenceState.subscribe]),
                          *([page.on_load] if page.on_load is not None else [])])

# Each backend worker budgets every socket's events, and pushes presence to its lobby
# sockets as deltas of PresenceState (and, to a tab whose session ended, a recheck), and
# chat as deltas of ChatState.
app.register_lifespan_task(guard_events)
app.register_lifespan_task(hub.run, state_name=PresenceState.get_full_name(),
                           recheck_event=f"{SessionState.get_full_name()}.recheck_session",
                           chat_state_name=ChatState.get_full_name(),
                           chat_refill_event=f"{ChatState.get_full_name()}.refill",
                           chat_reopen_event=f"{ChatState.get_full_name()}.reopen")
