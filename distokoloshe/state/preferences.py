"""This account's own audio settings: per-speaker volumes, push-to-talk, input processing,
sounds and theme. Saved to the account, so they follow it to any browser. The call's tiles
read each speaker's volume from here; nothing else keeps a copy."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from distokoloshe import preferences
from distokoloshe.state.session import NotSignedIn, SignedIn
from distokoloshe.validation import InvalidInput


def personal_settings(*, session, user) -> tuple[dict[str, list], dict[str, object]]:
    """(what the user hears of each speaker, their audio and interface settings)."""
    hearing = preferences.hearing_of(session=session, user=user)
    prefs = preferences.preferences_of(session=session, user=user)
    return ({identity: [h.volume, h.muted] for identity, h in hearing.items()},
            prefs.model_dump(exclude={"user_id"}))


class MicProcessing(TypedDict):
    """What the microphone does to the voice before it is sent (the Microphone part's prop)."""

    noise: str  # "off", "browser" or "rnnoise"
    echo_cancellation: bool
    auto_gain_control: bool
    gate: str  # "off", "auto" or "threshold"
    gate_db: int


class PreferencesState(SignedIn, rx.State):
    # This listener's own settings (never anyone else's): speaker identity -> [volume, muted].
    hearing: dict[str, list] = {}
    push_to_talk: bool = False
    push_to_talk_key: str = "Space"
    # "off", "browser" or "rnnoise"; the microphone falls back to "browser" where RNNoise
    # cannot run (CallState.noise_fallback says so)
    noise_suppression: str = "rnnoise"
    voice_gate: str = "off"  # "off", "auto" or "threshold"
    voice_gate_db: int = -50
    echo_cancellation: bool = True
    auto_gain_control: bool = True
    join_leave_sounds: bool = True
    # "" until this account's settings are loaded, then system, light or dark
    theme: str = ""
    preferences_error: str = ""

    @rx.var
    def volumes(self) -> dict[str, int]:
        """Speaker identity -> this listener's volume for them, in percent (100 if unset)."""
        return {identity: volume for identity, (volume, _muted) in self.hearing.items()}

    @rx.var
    def muted_for_me(self) -> dict[str, bool]:
        return {identity: muted for identity, (_volume, muted) in self.hearing.items()}

    @rx.var
    def gains(self) -> dict[str, float]:
        return {identity: 0.0 if muted else volume / 100
                for identity, (volume, muted) in self.hearing.items()}

    @rx.var
    def mic_processing(self) -> MicProcessing:
        return MicProcessing(noise=self.noise_suppression,
                             echo_cancellation=self.echo_cancellation,
                             auto_gain_control=self.auto_gain_control,
                             gate=self.voice_gate, gate_db=self.voice_gate_db)

    @rx.event
    async def load_preferences(self) -> None:
        """Part of the lobby's load (LobbyState.enter): this account's volumes and audio
        settings, from any browser."""
        try:
            self._apply(await self._as_user(personal_settings))
        except NotSignedIn:
            return

    def _apply(self, personal: tuple[dict[str, list], dict[str, object]]) -> None:
        """What personal_settings read."""
        self.hearing, prefs = personal
        for key, value in prefs.items():
            setattr(self, key, value)

    def _hear(self, identity: str, hearing: preferences.Hearing) -> None:
        self.preferences_error = ""
        self.hearing = {**self.hearing, identity: [hearing.volume, hearing.muted]}

    @rx.event
    async def set_volume(self, identity: str, value: float | str):
        """From the tile's volume slider: the percent."""
        try:
            number = float(value) if isinstance(value, str) and len(value) <= 8 else value
        except ValueError:
            number = value
        try:
            hearing = await self._as_user(preferences.set_volume, speaker_id=identity,
                                          volume=number)
        except (NotSignedIn, InvalidInput) as error:
            self.preferences_error = str(error) or "Please log in again."
            return
        self._hear(identity, hearing)

    @rx.event
    async def toggle_muted_for_me(self, identity: str):
        """Mute or unmute one speaker for this listener only."""
        current = self.hearing.get(identity, [100, False]) if isinstance(identity, str) else None
        try:
            hearing = await self._as_user(preferences.set_muted_for_me, speaker_id=identity,
                                          muted=not bool(current and current[1]))
        except (NotSignedIn, InvalidInput) as error:
            self.preferences_error = str(error) or "Please log in again."
            return
        self._hear(identity, hearing)

    @rx.event
    async def set_preference(self, key: str, value: bool | str | int | float):
        """Save one of the switches (or the theme) to the account."""
        try:
            prefs = await self._as_user(preferences.set_preference, key=key, value=value)
        except (NotSignedIn, InvalidInput) as error:
            self.preferences_error = str(error) or "Please log in again."
            return
        self.preferences_error = ""
        setattr(self, key, getattr(prefs, key))

    @rx.event
    async def set_gate_threshold(self, value: str | int | float):
        """From the input sensitivity slider: the threshold in dB."""
        try:
            number = float(value) if isinstance(value, str) and len(value) <= 8 else value
        except ValueError:
            number = value
        await self.set_preference("voice_gate_db", number)

    @rx.event
    async def bind_push_to_talk_key(self, code: str):
        """The key the user pressed becomes their push-to-talk key."""
        await self.set_preference("push_to_talk_key", code)
