"""The soundboard's one table: each clip with its audio, kept in the database."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Column, DateTime, Field, LargeBinary, SQLModel


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SoundboardClip(SQLModel, table=True):
    __tablename__ = "soundboard_clips"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=40)
    mime: str = Field(max_length=32)
    seconds: float
    uploader_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    audio: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
