"""Database tables. Plain SQLModel classes: no reflex import here."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32)
    # casefolded username, so "Alice" and "alice" cannot both register
    username_key: str = Field(max_length=32, unique=True, index=True)
    display_name: str = Field(max_length=32)
    # validation.display_name_key(display_name): names that look alike share it. Unique; NULL
    # only for an account whose name already collided with an older one's before keys existed.
    display_name_key: str | None = Field(default=None, max_length=160, unique=True, index=True,
                                         nullable=True)
    password_hash: str = Field(max_length=255)
    # bumped on "log out everywhere" and on password change; older JWTs stop verifying
    token_version: int = Field(default=0)
    # users and rooms point at each other, so this key is added after both tables exist
    last_room_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("rooms.id", ondelete="SET NULL", use_alter=True, name="fk_users_last_room"),
            nullable=True,
        ),
    )
    # Admins run the server: invites, accounts, any room. The migration makes the oldest
    # existing account one; on a new install the first-admin link (or, locally, the first
    # registration) does.
    is_admin: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # A disabled account cannot sign in, and its sessions stopped when it was disabled.
    disabled_at: datetime | None = Field(default=None, nullable=True)
    last_signed_in_at: datetime | None = Field(default=None, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)


class Room(SQLModel, table=True):
    __tablename__ = "rooms"
    # An id is never handed out twice (SQLite would otherwise reuse the highest one after a
    # delete), so a LiveKit room name or a token for a deleted room names no other room.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=48)
    name_key: str = Field(max_length=48, unique=True, index=True)
    owner_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # Browsers without end-to-end encryption may not join when this is on.
    encryption_required: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    # Part of the room key's derivation; advancing it replaces the key.
    key_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Random per room, so a new room that reuses a deleted room's id gets a new key.
    # (Nullable only because SQLite cannot tighten a column without rebuilding the table.)
    key_salt: str | None = Field(default_factory=lambda: secrets.token_hex(16), max_length=32,
                                 nullable=True)
    # Only its members (RoomMember, and the owner) see a private room, get its token or key.
    private: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)


class RoomMember(SQLModel, table=True):
    """Someone the owner let into a private room (the owner is a member without a row)."""

    __tablename__ = "room_members"

    room_id: int = Field(foreign_key="rooms.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True,
                         ondelete="CASCADE")
    added_at: datetime = Field(default_factory=utcnow)


class RoomRemoval(SQLModel, table=True):
    """Someone the owner (or an admin) removed from a room's call: banned from the room
    until the ban is lifted (the row deleted)."""

    __tablename__ = "room_removals"

    room_id: int = Field(foreign_key="rooms.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    removed_at: datetime = Field(default_factory=utcnow)


class ParticipantVolume(SQLModel, table=True):
    """How loud one listener hears one other user, 0–200%, or muted for that listener only."""

    __tablename__ = "participant_volumes"

    listener_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    speaker_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    volume: int = Field(default=100)
    muted: bool = Field(default=False)


class UserPreferences(SQLModel, table=True):
    """Personal audio settings that follow the account to any browser."""

    __tablename__ = "user_preferences"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    push_to_talk: bool = Field(default=False)
    push_to_talk_key: str = Field(default="Space", max_length=32)
    # "off", "browser" (the browser's own) or "rnnoise" (ML, in an AudioWorklet)
    noise_suppression: str = Field(default="rnnoise", max_length=8,
                                   sa_column_kwargs={"server_default": "rnnoise"})
    echo_cancellation: bool = Field(default=True)
    auto_gain_control: bool = Field(default=True)
    join_leave_sounds: bool = Field(default=True)
    theme: str = Field(default="system", max_length=8,
                       sa_column_kwargs={"server_default": "system"})
    # input sensitivity: "off", "auto" or "threshold" (below voice_gate_db, silence is sent)
    voice_gate: str = Field(default="off", max_length=9,
                            sa_column_kwargs={"server_default": "off"})
    voice_gate_db: int = Field(default=-50, sa_column_kwargs={"server_default": "-50"})


class EndedSession(SQLModel, table=True):
    """A session token that was logged out: refused until it would have expired anyway."""

    __tablename__ = "ended_sessions"

    session_id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # when the token expires; the row may be pruned after that
    expires_at: datetime = Field(index=True)


class Invite(SQLModel, table=True):
    """A registration invite. Only the SHA-256 of its random code is kept."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", nullable=True,
                                   ondelete="SET NULL")
    max_uses: int = Field(default=1)
    uses: int = Field(default=0)
    # the first-admin link: whoever registers with it becomes an admin
    makes_admin: bool = Field(default=False)
    expires_at: datetime
    revoked_at: datetime | None = Field(default=None, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)


class InviteRoom(SQLModel, table=True):
    """A private room whose membership an invite grants."""

    __tablename__ = "invite_rooms"

    invite_id: int = Field(foreign_key="invites.id", primary_key=True, ondelete="CASCADE")
    room_id: int = Field(foreign_key="rooms.id", primary_key=True, ondelete="CASCADE")


class InviteUse(SQLModel, table=True):
    """Who registered with an invite, and when."""

    __tablename__ = "invite_uses"

    invite_id: int = Field(foreign_key="invites.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    used_at: datetime = Field(default_factory=utcnow)


class ChatMessage(SQLModel, table=True):
    """One message in a room's chat. A deleted one keeps its row (so the history's ids and
    cursors hold) but loses its text."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_room_id_id", "room_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="rooms.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    body: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = Field(default=None, nullable=True)
    deleted_at: datetime | None = Field(default=None, nullable=True)


class ChatRead(SQLModel, table=True):
    """How far one user has read one room's chat: the newest message id they have seen."""

    __tablename__ = "chat_reads"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    room_id: int = Field(foreign_key="rooms.id", primary_key=True, index=True,
                         ondelete="CASCADE")
    last_read_id: int = Field(default=0)
