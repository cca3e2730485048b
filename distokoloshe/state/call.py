"""The call in the selected room: join token, switches, participants and devices.

The browser's LiveKitRoom component owns the media; this state only decides who may
join what (a token minted for the verified user) and mirrors what the component reports.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from distokoloshe import calls, livekit_admin, rooms
from distokoloshe.livekit_tokens import participant_identity
from distokoloshe.realtime.presence_hub import hub
from distokoloshe.settings import get_settings
from distokoloshe.state.session import NotSignedIn, SignedIn

SHORTCUTS = {"M": "toggle_mic", "D": "toggle_deafen", "V": "toggle_camera", "Shift+L": "leave"}
MAX_PARTICIPANTS_REPORTED = 500
REJOIN_DELAY_SECONDS = 2.0
# What the browser's call parts report, (kind, code), worded; {detail} is the browser's own
# message. A microphone or camera error leaves the call listen-only.
MEDIA_ERRORS = {
    ("microphone", "not_allowed"): "Microphone access was denied by the browser. You can still "
                                   "listen.",
    ("microphone", "not_found"): "No microphone was found. You can still listen.",
    ("microphone", "in_use"): "The microphone is in use by another program. You can still "
                              "listen.",
    ("microphone", "failed"): "Microphone could not start: {detail}. You can still listen.",
    ("camera", "not_allowed"): "Camera access was denied by the browser. You can still listen.",
    ("camera", "not_found"): "No camera was found. You can still listen.",
    ("camera", "in_use"): "The camera is in use by another program. You can still listen.",
    ("camera", "failed"): "Camera could not start: {detail}. You can still listen.",
    ("call", "e2ee_unsupported"): "This room requires end-to-end encryption, which this "
                                  "browser does not support. Try a current Chrome, Edge, "
                                  "Firefox or Safari.",
    ("call", "failed"): "The call could not start: {detail}",
}
# A disconnect whose explanation stays on screen after the call ends.
EXPLAINED_DISCONNECTS = {"e2ee_unsupported"}


@dataclasses.dataclass
class ParticipantView:
    identity: str
    name: str
    initial: str
    is_local: bool
    mic_on: bool
    cam_on: bool
    quality: str
    encrypted: bool
    undecryptable: bool
    sharing: bool


def _text(value: object, limit: int = 64) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _participant(raw: object) -> ParticipantView | None:
    # Reported by our own browser component, but a tampered client could send anything.
    if not isinstance(raw, dict) or not _text(raw.get("identity")):
        return None
    name = _text(raw.get("name")) or _text(raw.get("identity"))
    return ParticipantView(
        identity=_text(raw.get("identity")), name=name, initial=name[:1].upper(),
        is_local=raw.get("is_local") is True, mic_on=raw.get("mic_on") is True,
        cam_on=raw.get("cam_on") is True,
        quality=_text(raw.get("quality"), 16) or "unknown",
        encrypted=raw.get("encrypted") is True, undecryptable=raw.get("undecryptable") is True,
        sharing=raw.get("sharing") is True,
    )


class CallState(SignedIn, rx.State):
    room_id: int = 0
    server_url: str = ""
    token: str = ""
    # This room's media key; only ever in the state of a user admitted to the room.
    e2ee_key: str = ""
    e2ee_key_index: int = 0
    encryption_required: bool = True
    # the owner or an admin: may mute and remove people in this call
    i_own_room: bool = False
    # what the server announced in the call (someone was muted for everyone), or ""
    notice: str = ""
    # reported by the browser: "on", "off" (joined without), or "" before connecting
    encryption: str = ""
    # idle, connecting, connected, reconnecting
    connection: str = "idle"
    mic_on: bool = True
    camera_on: bool = False
    deafened: bool = False
    media_error: str = ""
    participants: list[ParticipantView] = []
    transmitting: bool = False
    talking_while_muted: bool = False
    # RNNoise was chosen but cannot run in this browser, which uses its own suppression
    noise_fallback: bool = False

    @rx.var
    def in_call(self) -> bool:
        return self.room_id != 0

    @rx.var
    def sharers(self) -> list[ParticipantView]:
        return [p for p in self.participants if p.sharing]

    @rx.var
    def sharer_ids(self) -> list[str]:
        return [p.identity for p in self.participants if p.sharing]

    @rx.var
    def everyone_encrypted(self) -> bool:
        """Whether nobody in the call sends media that is not end-to-end encrypted."""
        return all(p.encrypted for p in self.participants)

    @rx.event
    def set_transmitting(self, transmitting: bool):
        """Whether the microphone is sending now (open mic, or push-to-talk held)."""
        self.transmitting = transmitting is True
        if self.transmitting:
            self.talking_while_muted = False

    @rx.event
    def set_noise_fallback(self):
        """RNNoise could not start here; the browser's own suppression stands in."""
        self.noise_fallback = True

    @rx.event
    def show_muted_hint(self):
        """The user talks while not transmitting."""
        if not self.transmitting:
            self.talking_while_muted = True

    def _take(self, call: calls.CallPass) -> None:
        self.room_id, self.token = call.room_id, call.token
        self.server_url = get_settings().livekit_url
        self._take_key(call)
        self.encryption_required = call.encryption_required
        self.i_own_room = call.owner

    def _take_key(self, call: calls.CallPass) -> None:
        self.e2ee_key, self.e2ee_key_index = call.e2ee_key, call.e2ee_key_index

    async def _enter(self, entry: calls.Entry | None) -> None:
        """The lobby selected a room (RoomsState, in the same event): join its call, which
        leaves any other call, or say why this user may not join it."""
        if entry is not None and entry.call is not None and (
                entry.call.room_id == self.room_id and self.token):
            return  # already in this call
        await self._hint_presence(joined=False)
        self._reset_call()
        self.media_error = entry.refusal if entry is not None else ""
        if entry is not None and entry.call is not None:
            self._take(entry.call)
            self.connection = "connecting"

    @rx.event
    async def update_room_key(self, _epoch: int):
        """LiveKit says the room's key moved on: fetch it, if this user is still admitted.
        The epoch from the browser is only a hint; the database says which key is current."""
        if not self.in_call:
            return
        try:
            self._take_key(await self._as_user(calls.rekey, room_id=self.room_id))
        except rooms.RemovedFromRoom as error:
            self._reset_call()
            self.media_error = str(error)
        except (NotSignedIn, rooms.RoomNotFound):
            self._reset_call()

    @rx.event
    async def remove_from_call(self, identity: str):
        """The room's owner removes someone; everyone else switches to a new key."""
        if not self.in_call:
            return
        try:
            call = await self._as_user(calls.remove_member, room_id=self.room_id,
                                       member_id=identity)
        except (NotSignedIn, rooms.NotRoomOwner, rooms.RoomNotFound) as error:
            self.media_error = str(error) or "Please log in again."
            return
        self._take_key(call)
        await hub.chat_changed(call.room_id)  # their chat closes too
        if not await livekit_admin.remove_participant_and_announce_key(
                call.room_id, str(identity), call.key_epoch):
            self.media_error = "Removed, but the media server could not be told; try again."

    @rx.event
    async def mute_for_everyone(self, identity: str):
        """The room's owner or an admin mutes someone's microphone for everyone."""
        if not self.in_call:
            return
        try:
            by = await self._as_user(calls.moderator_name, room_id=self.room_id)
        except (NotSignedIn, rooms.NotRoomOwner, rooms.RoomNotFound) as error:
            self.media_error = str(error) or "Please log in again."
            return
        if not await livekit_admin.mute_microphone(self.room_id, _text(identity), by=by):
            self.media_error = "They could not be muted (is their microphone on?)."

    @rx.event
    async def take_notice(self, notice: dict):
        """The server announced something in the call (LiveKitRoom's on_notice)."""
        if not self.in_call or not isinstance(notice, dict) or notice.get("action") != "muted":
            return
        identity, by = _text(notice.get("identity")), _text(notice.get("by")) or "A moderator"
        user_id, _name = await self._verified()
        if user_id and identity == participant_identity(user_id):
            self.mic_on = False
            self.notice = f"{by} muted you for everyone. Unmute when you are ready."
            return
        name = next((p.name for p in self.participants if p.identity == identity), "someone")
        self.notice = f"{by} muted {name} for everyone."

    async def _hint_presence(self, *, joined: bool) -> None:
        """Tell presence at once; LiveKit's webhooks confirm (or correct) it shortly. Only a
        session that still holds may show itself joining; leaving needs no check."""
        if not self.room_id:
            return
        if joined:
            try:
                user_id, display_name = await self._as_user(
                    lambda session, user: (user.id, user.display_name))
            except NotSignedIn:
                return
            await hub.hint_join(self.room_id, participant_identity(user_id), display_name)
        else:
            user_id, _name = await self._verified()
            if user_id:
                await hub.hint_leave(self.room_id, participant_identity(user_id))

    def _reset_call(self) -> None:
        self.room_id, self.token, self.server_url = 0, "", ""
        self.e2ee_key, self.e2ee_key_index, self.encryption = "", 0, ""
        self.i_own_room = False
        self.notice = ""
        self.connection = "idle"
        self.participants = []
        self.transmitting = self.talking_while_muted = False

    @rx.event
    async def leave(self):
        """Leave the call; the room stays selected, so it can be joined again."""
        await self._hint_presence(joined=False)
        self._reset_call()
        self.media_error = ""

    @rx.event
    def toggle_mic(self):
        """Mute or unmute; unmuting also undeafens."""
        if self.deafened:  # unmuting also undeafens, as people expect
            self.deafened = False
            self.mic_on = True
        else:
            self.mic_on = not self.mic_on

    @rx.event
    def toggle_deafen(self):
        """Stop or start hearing everyone (and sending: deafened means muted too)."""
        self.deafened = not self.deafened

    @rx.event
    def toggle_camera(self):
        """Turn the camera on or off."""
        self.camera_on = not self.camera_on

    @rx.event
    def run_shortcut(self, key: str):
        """A keyboard shortcut from SHORTCUTS."""
        action = SHORTCUTS.get(key) if isinstance(key, str) else None
        if action is not None:
            return getattr(CallState, action)
        return None

    @rx.event
    async def set_connection(self, state: str):
        """The call is connecting, connected, or reconnecting by itself."""
        if not self.in_call or state not in ("connecting", "connected", "reconnecting"):
            return
        self.connection = state
        if state == "connected":
            self.media_error = ""
            await self._hint_presence(joined=True)

    @rx.event
    async def set_disconnected(self, reason: str, final: bool):
        """The call dropped: rejoin with a fresh token, unless it ended for good (final)."""
        if not self.in_call:
            return None
        if final is not True:
            self.connection = "reconnecting"
            return CallState.rejoin_after_delay
        await self._hint_presence(joined=False)
        self._reset_call()
        if not (isinstance(reason, str) and reason in EXPLAINED_DISCONNECTS):
            self.media_error = ""
        return None

    @rx.event(background=True)
    async def rejoin_after_delay(self):
        """A dropped call (server restart, network loss) rejoins with a fresh token."""
        await asyncio.sleep(REJOIN_DELAY_SECONDS)
        async with self:
            if self.connection != "reconnecting" or not self.room_id:
                return
            try:
                self._take(await self._as_user(calls.admit, room_id=self.room_id))
            except (NotSignedIn, rooms.RoomNotFound, rooms.RemovedFromRoom):
                self._reset_call()

    @rx.event
    def set_encryption(self, status: str):
        """Whether this browser joined encrypted: "on" or "off"."""
        if status in ("on", "off"):
            self.encryption = status

    @rx.event
    async def set_participants(self, participants: list):
        """Everyone in the call, as the browser reports them."""
        if not self.in_call or not isinstance(participants, list):
            return
        views = (_participant(raw) for raw in participants[:MAX_PARTICIPANTS_REPORTED])
        self.participants = [view for view in views if view is not None]

    @rx.event
    def set_media_error(self, kind: str, code: str, detail: str = ""):
        """A call part ("microphone", "camera", "call") failed; code says why (MEDIA_ERRORS)."""
        if not isinstance(kind, str) or not isinstance(code, str):
            return
        message = MEDIA_ERRORS.get((kind, code))
        if message is None:
            return
        self.media_error = message.format(detail=_text(detail, 200))
        if kind == "microphone":
            self.mic_on = False
        elif kind == "camera":
            self.camera_on = False
