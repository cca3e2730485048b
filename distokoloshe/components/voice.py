"""The settings for what the microphone sends: noise suppression and the voice gate
("input sensitivity"), with a live meter of the user's own level and where the gate's
threshold sits. All of it is saved to the account."""

from __future__ import annotations

import reflex as rx

from distokoloshe.components.livekit import own_level
from distokoloshe.preferences import GATE_DB_MAX, GATE_DB_MIN
from distokoloshe.state.call import CallState
from distokoloshe.state.preferences import PreferencesState

NOISE_CHOICES = [("rnnoise", "RNNoise (machine learning)"), ("browser", "The browser's own"),
                 ("off", "Off")]
GATE_CHOICES = [("off", "Off: always send"), ("auto", "Automatic"),
                ("threshold", "Threshold I set")]


def choice_select(label: str, key: str, choices: list[tuple[str, str]],
                  value: rx.Var[str]) -> rx.Component:
    field_id = f"pref-{key}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, class_name="dtk-label"),
        rx.el.select(
            *[rx.el.option(text, value=code) for code, text in choices],
            id=field_id,
            value=value,
            on_change=lambda choice: PreferencesState.set_preference(key, choice),
            class_name="dtk-select",
        ),
        spacing="1",
        width="100%",
    )


def noise_fallback_note() -> rx.Component:
    """Shown in the call when RNNoise was chosen but this browser cannot run it."""
    return rx.cond(
        CallState.noise_fallback & (PreferencesState.noise_suppression == "rnnoise"),
        rx.callout("RNNoise noise suppression cannot run in this browser, so the browser's "
                   "own noise suppression is used instead.", icon="info", color_scheme="amber",
                   size="1", role="status", data_testid="noise-fallback", width="100%"),
    )


def noise_settings() -> rx.Component:
    return choice_select("Noise suppression", "noise_suppression", NOISE_CHOICES,
                         PreferencesState.noise_suppression)


def gate_settings() -> rx.Component:
    threshold = PreferencesState.voice_gate_db
    return rx.vstack(
        choice_select("Input sensitivity", "voice_gate", GATE_CHOICES,
                      PreferencesState.voice_gate),
        rx.cond(
            PreferencesState.voice_gate != "off",
            rx.vstack(
                own_level(aria_label="Your microphone level", data_testid="own-level"),
                rx.text(rx.cond(PreferencesState.voice_gate == "auto",
                                "Below the red mark you send silence; the mark follows the "
                                "background noise.",
                                "Below the red mark you send silence. Speak and set it above "
                                "your background noise."),
                        size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            PreferencesState.voice_gate == "threshold",
            rx.hstack(
                rx.el.input(
                    type="range",
                    min=GATE_DB_MIN,
                    max=GATE_DB_MAX,
                    step=1,
                    # the saved value, re-applied when it arrives from another tab
                    key=threshold.to_string(),
                    default_value=threshold,
                    on_change=lambda value: PreferencesState.set_gate_threshold(value)
                    .debounce(150),
                    aria_label="Input sensitivity threshold",
                    class_name="dtk-volume",
                ),
                rx.text(threshold.to_string() + " dB", size="1", min_width="4em",
                        text_align="right", data_testid="gate-threshold-value"),
                width="100%",
                align="center",
                spacing="2",
            ),
        ),
        spacing="2",
        width="100%",
    )
