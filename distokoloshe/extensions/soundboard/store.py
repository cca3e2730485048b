"""The soundboard's clips in the database: add, list, fetch to play, delete. Each action
takes the verified user (through `SignedIn._as_user`) and a session, in one transaction."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from distokoloshe.extend import User, is_admin, session_scope
from distokoloshe.extensions.soundboard.clips import ClipKind, ClipRefused
from distokoloshe.extensions.soundboard.models import SoundboardClip

MAX_CLIPS = 200


def add_clip(*, session: Session, user: User, title: str, kind: ClipKind,
             audio: bytes) -> SoundboardClip:
    count = session.exec(select(func.count()).select_from(SoundboardClip)).one()
    if count >= MAX_CLIPS:
        raise ClipRefused(f"The soundboard is full ({MAX_CLIPS} clips): delete one first.")
    clip = SoundboardClip(title=title, mime=kind.mime, seconds=kind.seconds,
                          uploader_id=user.id, audio=audio)
    session.add(clip)
    session.flush()
    return clip


def clip_to_play(*, session: Session, user: User, clip_id: int
                 ) -> tuple[int, SoundboardClip | None]:
    """(the player's user id, the clip or None when it is gone)."""
    return user.id, session.get(SoundboardClip, clip_id)


def delete_clip(*, session: Session, user: User, clip_id: int) -> bool:
    """Deletes the clip if `user` uploaded it or is an admin; whether it did."""
    clip = session.get(SoundboardClip, clip_id)
    if clip is None or (clip.uploader_id != user.id and not is_admin(user)):
        return False
    session.delete(clip)
    return True


def who(*, session: Session, user: User) -> tuple[int, bool]:
    return user.id, is_admin(user)


def clip_list() -> list[dict]:
    """Every clip, newest first, as every tab shows it (no audio)."""
    with session_scope() as session:
        rows = session.exec(
            select(SoundboardClip.id, SoundboardClip.title, SoundboardClip.seconds,
                   SoundboardClip.uploader_id, User.display_name)
            .join(User, col(User.id) == col(SoundboardClip.uploader_id))
            .order_by(col(SoundboardClip.id).desc())).all()
    return [{"id": clip_id, "title": title, "seconds": seconds, "uploader_id": uploader_id,
             "uploader": uploader} for clip_id, title, seconds, uploader_id, uploader in rows]
