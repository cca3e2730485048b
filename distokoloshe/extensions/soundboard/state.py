"""The soundboard in one tab: uploading, playing and deleting clips, and what others played.

Everything a user does goes through `self._as_user`, so who uploads, plays or deletes is the
verified user; who played a clip in the call is who LiveKit says sent the message."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import reflex as rx

from distokoloshe.extend import (
    LiveField,
    NotSignedIn,
    SignedIn,
    play_clip,
    rate_limit,
    send_to_call,
)
from distokoloshe.extensions.soundboard import store
from distokoloshe.extensions.soundboard.clips import (
    MAX_BYTES,
    MAX_TITLE,
    ClipRefused,
    check_clip,
    clean_title,
)

log = logging.getLogger(__name__)

NAME = "soundboard"
UPLOAD_ID = "soundboard-clip"
PLAY_LIMIT = "1 per 3 seconds"     # per user, over every tab and worker
UPLOAD_LIMIT = "10 per minute"


@dataclasses.dataclass
class ClipEntry:
    id: int
    title: str
    seconds: float
    uploader_id: int
    uploader: str


clips = LiveField(f"{NAME}.clips", [], load=store.clip_list, type_=list[ClipEntry])


def _wanted_id(value: object) -> int | None:
    """A clip id as the database can hold one (a crafted 2**64 is no id)."""
    return (value if isinstance(value, int) and not isinstance(value, bool)
            and 0 < value < 2**31 else None)


class SoundboardState(SignedIn, rx.State):
    # the outcome of this user's last upload, play or delete, in words
    message: str = ""
    # "<name> played <title>", the last clip someone played in this tab's call
    played: str = ""
    title: str = ""
    my_id: int = 0
    admin: bool = False

    @rx.event
    async def load_me(self):
        """Who this tab's user is, to show the delete buttons they may use."""
        try:
            self.my_id, self.admin = await self._as_user(store.who)
        except NotSignedIn:
            self.my_id, self.admin = 0, False

    @rx.event
    def set_title(self, title: str):
        """The title for the next upload."""
        if isinstance(title, str):
            self.title = title[:MAX_TITLE]

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Adds the one uploaded file as a clip, if it is one (checked by its content)."""
        if (not isinstance(files, list) or len(files) != 1
                or not isinstance(files[0], rx.UploadFile)):
            self.message = "Choose one audio file to upload."
            return None
        file = files[0]
        data = await file.read(MAX_BYTES + 1)  # no more of a file too large than needed
        try:
            kind = check_clip(data)
            title = clean_title(self.title, file.name)
            user_id, _ = await self._as_user(store.who)
            refusal = rate_limit(NAME, UPLOAD_LIMIT, str(user_id))
            if refusal is not None:
                raise ClipRefused(f"Too many uploads: try again in {refusal.wait}.")
            await self._as_user(store.add_clip, title=title, kind=kind, audio=data)
        except ClipRefused as refused:
            self.message = str(refused)
            return rx.clear_selected_files(UPLOAD_ID)
        except NotSignedIn:
            return None
        self.message, self.title = f"Added “{title}”.", ""
        await clips.publish(await asyncio.to_thread(store.clip_list))
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.event
    async def play(self, clip_id: int):
        """Plays a clip into this tab's call for everyone in it, at most one every 3 s."""
        if (clip_id := _wanted_id(clip_id)) is None:
            return
        try:
            user_id, clip = await self._as_user(store.clip_to_play, clip_id=clip_id)
        except NotSignedIn:
            return
        if clip is None:
            self.message = "That clip has been deleted."
            return
        refusal = rate_limit(NAME, PLAY_LIMIT, str(user_id))
        if refusal is not None:
            self.message = f"One clip every 3 seconds: wait {refusal.wait}."
            return
        if not await play_clip(self, NAME, clip.audio, clip.mime):
            self.message = "Join the call to play a clip into it."
            return
        await send_to_call(self, NAME, "played", {"clip": clip.id, "title": clip.title})
        self.message, self.played = "", f"You played {clip.title}"

    @rx.event
    def heard(self, sender_id: int, sender_name: str, data: dict):
        """Someone else in the call played a clip (the bridge's handler for "played"):
        `sender_name` is who LiveKit says sent it."""
        title = data.get("title") if isinstance(data, dict) else None
        if isinstance(sender_name, str) and isinstance(title, str):
            self.played = f"{sender_name[:64]} played {clean_title(title, '')}"

    @rx.event
    async def delete(self, clip_id: int):
        """Deletes a clip this user uploaded (any clip, for an admin)."""
        if (clip_id := _wanted_id(clip_id)) is None:
            return
        try:
            deleted = await self._as_user(store.delete_clip, clip_id=clip_id)
        except NotSignedIn:
            return
        self.message = "" if deleted else "Only its uploader or an admin can delete that clip."
        if deleted:
            await clips.publish(await asyncio.to_thread(store.clip_list))
