"""This account's own audio settings: per-speaker volumes, push-to-talk, input processing,
sounds and theme. Saved to the account, so they follow it to any browser."""

from __future__ import annotations

import dataclasses

import reflex as rx

from distokoloshe import preferences
from distokoloshe.state.session import NotSignedIn, SessionState
from distokoloshe.validation import InvalidInput


def _personal(*, session, user) -> tuple[dict[str, list], dict[str, object]]:
    hearing = preferences.hearing_of(session=session, user=user)
    prefs = preferences.preferences_of(session=session, user=user)
    return ({identity: [h.volume, h.muted] for identity, h in hearing.items()},
            prefs.model_dump(exclude={"user_id"}))


class PreferencesState(rx.State):
    # This listener's own settings (never anyone else's): speaker identity -> [volume, muted].
    hearing: dict[str, list] = {}
    push_to_talk: bool = False
    push_to_talk_key: str = "Space"
    noise_suppression: bool = True
    echo_cancellation: bool = True
    auto_gain_control: bool = True
    join_leave_sounds: bool = True
    # "" until this account's settings are loaded, then system, light or dark
    theme: str = ""
    preferences_error: str = ""

    @rx.var
    def gains(self) -> dict[str, float]:
        return {identity: 0.0 if muted else volume / 100
                for identity, (volume, muted) in self.hearing.items()}

    async def _as_user(self, action, /, **kwargs):
        session_state = await self.get_state(SessionState)
        return await session_state._as_user(action, **kwargs)

    async def load_preferences(self):
        """Part of the lobby's load (LobbyState.enter): this account's volumes and audio
        settings, from any browser."""
        try:
            self.hearing, prefs = await self._as_user(_personal)
        except NotSignedIn:
            return
        for key, value in prefs.items():
            setattr(self, key, value)

    async def _apply_hearing(self, identity: str, hearing: preferences.Hearing) -> None:
        from distokoloshe.state.call import CallState  # the call shows it on the tile

        self.hearing = {**self.hearing, identity: [hearing.volume, hearing.muted]}
        call = await self.get_state(CallState)
        call.participants = [
            dataclasses.replace(p, volume=hearing.volume, muted_for_me=hearing.muted)
            if p.identity == identity else p
            for p in call.participants
        ]

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
        self.preferences_error = ""
        await self._apply_hearing(identity, hearing)

    async def toggle_muted_for_me(self, identity: str):
        current = self.hearing.get(identity, [100, False]) if isinstance(identity, str) else None
        try:
            hearing = await self._as_user(preferences.set_muted_for_me, speaker_id=identity,
                                          muted=not bool(current and current[1]))
        except (NotSignedIn, InvalidInput) as error:
            self.preferences_error = str(error) or "Please log in again."
            return
        self.preferences_error = ""
        await self._apply_hearing(identity, hearing)

    async def set_preference(self, key: str, value: bool | str):
        try:
            prefs = await self._as_user(preferences.set_preference, key=key, value=value)
        except (NotSignedIn, InvalidInput) as error:
            self.preferences_error = str(error) or "Please log in again."
            return
        self.preferences_error = ""
        setattr(self, key, getattr(prefs, key))

    async def bind_push_to_talk_key(self, code: str):
        await self.set_preference("push_to_talk_key", code)
