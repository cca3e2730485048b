"""Waves: a lobby panel with a live count anyone can add to, and a page about it."""

import reflex as rx

from distokoloshe.extend import Extension, LiveField, Page, Panel, Place, SignedIn, rate_limit

# Every lobby tab sees this; "<extension>.<topic>" names it.
waves = LiveField("waves.count", 0)


class WavesState(SignedIn, rx.State):
    note: str = ""

    @rx.event
    async def wave(self):
        user_id, name = await self._verified()  # the verified user, never an argument
        if not user_id:
            return
        if rate_limit("waves", "3/10 seconds", str(user_id)):
            self.note = "Easy! Try again in a few seconds."
            return
        await waves.add(1)
        self.note = f"You waved, {name}."


def panel() -> rx.Component:
    return rx.vstack(
        rx.heading("Waves", size="3", as_="h2"),
        rx.text(waves.var, " waves so far", data_testid="waves-count"),
        rx.button("Wave", on_click=WavesState.wave),
        rx.text(WavesState.note, size="1", color_scheme="gray", role="status"),
        margin_top="1em",
    )


def page() -> rx.Component:
    return rx.vstack(
        rx.heading("About waves", size="6", as_="h1"),
        rx.text("Press Wave in the lobby: everyone there sees the count go up at once."),
        rx.text("So far: ", waves.var, data_testid="waves-page-count"),
    )


extension = Extension(
    name="waves",
    title="Waves",
    pages=[Page(route="/waves", component=page, title="Waves", menu="About waves")],
    panels=[Panel(Place.LOBBY_SIDEBAR, "waves", panel)],
    live=[waves],
)
