"""Per-listener volumes and personal audio preferences, validated before anything is stored."""

from __future__ import annotations

import dataclasses
import math
import re

from sqlmodel import Session, select

from distokoloshe.models import ParticipantVolume, User, UserPreferences
from distokoloshe.validation import InvalidInput, number_in

VOLUME_MIN, VOLUME_MAX = 0, 200
THEMES = ("system", "light", "dark")
NOISE_SUPPRESSION = ("off", "browser", "rnnoise")
VOICE_GATE = ("off", "auto", "threshold")
# the threshold slider's range, in dBFS of the microphone's level
GATE_DB_MIN, GATE_DB_MAX = -80, -10
BOOLEAN_PREFERENCES = frozenset(
    {"push_to_talk", "echo_cancellation", "auto_gain_control", "join_leave_sounds"}
)
# settings that take one of a few words, and the sentence that refuses anything else
CHOICE_PREFERENCES = {
    "theme": (THEMES, "Theme must be system, light or dark."),
    "noise_suppression": (NOISE_SUPPRESSION,
                          "Noise suppression must be off, the browser's or RNNoise."),
    "voice_gate": (VOICE_GATE, "Input sensitivity must be off, automatic or a threshold."),
}
# Keys a person may hold to talk: KeyboardEvent.code values, no modifiers or system keys.
_KEY_CODE = re.compile(
    r"Key[A-Z]|Digit[0-9]|Numpad[0-9]|F(?:[1-9]|1[0-9]|2[0-4])|Space|Backquote|Minus|Equal"
    r"|BracketLeft|BracketRight|Backslash|Semicolon|Quote|Comma|Period|Slash|CapsLock|Insert"
    r"|Home|End|PageUp|PageDown|Arrow(?:Up|Down|Left|Right)|Pause"
)


@dataclasses.dataclass(frozen=True)
class Hearing:
    """How the listener hears one speaker."""

    volume: int = 100
    muted: bool = False

    @property
    def gain(self) -> float:
        return 0.0 if self.muted else self.volume / 100


def clean_volume(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput("Volume must be a number from 0 to 200.")
    if not VOLUME_MIN <= value <= VOLUME_MAX:
        raise InvalidInput("Volume must be from 0 to 200%.")
    return round(value)


def clean_gate_db(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput("The threshold must be a number of dB.")
    if not GATE_DB_MIN <= value <= GATE_DB_MAX:
        raise InvalidInput(f"The threshold must be from {GATE_DB_MIN} to {GATE_DB_MAX} dB.")
    return round(value)


def clean_key_code(value: object) -> str:
    if not isinstance(value, str) or not _KEY_CODE.fullmatch(value):
        raise InvalidInput("That key cannot be used for push-to-talk.")
    return value


def _speaker(session: Session, listener: User, speaker_id: object) -> User:
    if isinstance(speaker_id, str):
        speaker_id = number_in(speaker_id, 18)
    if (not isinstance(speaker_id, int) or isinstance(speaker_id, bool)
            or not 0 < speaker_id < 2**63):
        raise InvalidInput("Unknown participant.")
    speaker = session.get(User, speaker_id)
    if speaker is None or speaker.id == listener.id:
        raise InvalidInput("Unknown participant.")
    return speaker


def _volume_row(session: Session, listener: User, speaker: User) -> ParticipantVolume:
    row = session.get(ParticipantVolume, (listener.id, speaker.id))
    return row or ParticipantVolume(listener_id=listener.id, speaker_id=speaker.id)


def set_volume(*, session: Session, user: User, speaker_id: object, volume: object) -> Hearing:
    clean = clean_volume(volume)
    row = _volume_row(session, user, _speaker(session, user, speaker_id))
    row.volume = clean
    session.add(row)
    session.flush()
    return Hearing(row.volume, row.muted)


def set_muted_for_me(*, session: Session, user: User, speaker_id: object, muted: object) -> Hearing:
    if not isinstance(muted, bool):
        raise InvalidInput("Mute must be on or off.")
    row = _volume_row(session, user, _speaker(session, user, speaker_id))
    row.muted = muted
    session.add(row)
    session.flush()
    return Hearing(row.volume, row.muted)


def hearing_of(*, session: Session, user: User) -> dict[str, Hearing]:
    """The listener's settings, keyed by the speaker's LiveKit identity (their user id)."""
    rows = session.exec(select(ParticipantVolume).where(ParticipantVolume.listener_id == user.id))
    return {str(row.speaker_id): Hearing(row.volume, row.muted) for row in rows}


def preferences_of(*, session: Session, user: User) -> UserPreferences:
    return session.get(UserPreferences, user.id) or UserPreferences(user_id=user.id)


def set_preference(*, session: Session, user: User, key: object, value: object) -> UserPreferences:
    if not isinstance(key, str):  # a tampered client can send a list or a dict
        raise InvalidInput("Unknown setting.")
    prefs = preferences_of(session=session, user=user)
    if key in BOOLEAN_PREFERENCES:
        if not isinstance(value, bool):
            raise InvalidInput("That setting must be on or off.")
    elif key == "push_to_talk_key":
        value = clean_key_code(value)
    elif key in CHOICE_PREFERENCES:
        choices, refusal = CHOICE_PREFERENCES[key]
        if not isinstance(value, str) or value not in choices:
            raise InvalidInput(refusal)
    elif key == "voice_gate_db":
        value = clean_gate_db(value)
    else:
        raise InvalidInput("Unknown setting.")
    setattr(prefs, key, value)
    session.add(prefs)
    session.flush()
    return prefs
