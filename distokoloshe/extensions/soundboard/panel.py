"""The soundboard panel beside the call: the clips (live in every tab), an upload form, what
was played last, and this listener's volume for each player's clips."""

from __future__ import annotations

import reflex as rx

from distokoloshe.extend import clip_volumes
from distokoloshe.extensions.soundboard.state import (
    NAME,
    UPLOAD_ID,
    ClipEntry,
    SoundboardState,
    clips,
)


def _clip_row(clip: rx.Var[ClipEntry]) -> rx.Component:
    may_delete = (clip.uploader_id == SoundboardState.my_id) | SoundboardState.admin
    return rx.hstack(
        rx.button(rx.icon("play", size=14, aria_hidden="true"), clip.title,
                  on_click=SoundboardState.play(clip.id), aria_label="Play " + clip.title,
                  variant="soft", size="2"),
        rx.text(clip.seconds.to_string() + " s · " + clip.uploader, size="1",
                color_scheme="gray"),
        rx.spacer(),
        rx.cond(may_delete,
                rx.icon_button(rx.icon("trash_2", size=14), variant="ghost", color_scheme="red",
                               size="1", on_click=SoundboardState.delete(clip.id),
                               aria_label="Delete " + clip.title)),
        width="100%", align="center", data_testid="soundboard-clip",
    )


def soundboard_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Soundboard", size="3", as_="h2"),
            rx.cond(SoundboardState.played != "",
                    rx.text(SoundboardState.played, role="status", size="2",
                            data_testid="soundboard-played")),
            rx.cond(SoundboardState.message != "",
                    rx.text(SoundboardState.message, role="alert", size="2", color_scheme="red",
                            data_testid="soundboard-message")),
            rx.foreach(clips.var, _clip_row),
            rx.cond(clips.var.length() == 0,
                    rx.text("No clips yet.", size="2", color_scheme="gray")),
            rx.divider(),
            rx.el.label("Clip title", html_for="soundboard-title", class_name="dtk-label"),
            rx.input(id="soundboard-title", value=SoundboardState.title,
                     on_change=SoundboardState.set_title, max_length=40,
                     placeholder="The file's name"),
            rx.upload(
                rx.text("Choose an audio file (at most 1 MB and 10 seconds)", size="2"),
                id=UPLOAD_ID, max_files=1, multiple=False,
                # the drop zone is what a keyboard reaches (its file input is hidden)
                role="button", aria_label="Choose an audio file for a clip",
                border="1px dashed var(--gray-a7)", padding="0.75em", width="100%",
            ),
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: rx.text(name, size="1")),
            rx.button("Upload clip", size="2",
                      on_click=SoundboardState.upload(rx.upload_files(upload_id=UPLOAD_ID))),
            rx.divider(),
            rx.text("Clip volume", size="2", weight="medium"),
            clip_volumes(NAME),
            width="100%", spacing="2",
        ),
        on_mount=SoundboardState.load_me,
        width="100%",
        data_testid="soundboard",
    )
