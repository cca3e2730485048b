"""Rules for everything a person types: usernames, passwords, display and room names.

Each function returns the clean value or raises InvalidInput with a message fit to show.
"""

from __future__ import annotations

import re
import unicodedata

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,32}")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
DISPLAY_NAME_MAX = 32
ROOM_NAME_MAX = 48
# Refuse absurd payloads before doing any Unicode work on them.
RAW_INPUT_MAX = 1024

# Bidirectional overrides and isolates can make a name render as something else.
_BIDI_CONTROLS = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


# JSON can carry lone UTF-16 surrogates ("\ud800"); Python keeps them, UTF-8 cannot encode them.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidInput(ValueError):
    """A value a person typed breaks a rule; str(error) is the message to show."""


def well_formed(value: object) -> object:
    """`value` (parsed JSON) with every lone surrogate in its strings replaced by U+FFFD, as a
    browser's TextEncoder does. A string holding one could never be stored or sent back: the
    state that kept it would fail on every later update. Raises RecursionError on nesting
    deeper than the interpreter allows, which no client of ours sends."""
    if isinstance(value, str):
        if value.isascii() or not _LONE_SURROGATE.search(value):
            return value
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [well_formed(item) for item in value]
    if isinstance(value, dict):
        return {well_formed(key): well_formed(item) for key, item in value.items()}
    return value


def _as_text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.")
    if len(value) > RAW_INPUT_MAX:
        raise InvalidInput(f"{field} is far too long.")
    return value


def _clean_name(value: object, field: str, max_length: int, *, required: bool) -> str:
    text = unicodedata.normalize("NFC", _as_text(value, field))
    text = " ".join(text.split())  # trim and collapse runs of whitespace
    if not text:
        if required:
            raise InvalidInput(f"{field} cannot be empty.")
        return ""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or ord(char) in _BIDI_CONTROLS:
            raise InvalidInput(f"{field} contains characters that are not allowed.")
    if len(text) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters.")
    return text


def clean_username(value: object) -> str:
    text = _as_text(value, "Username").strip()
    if not USERNAME_PATTERN.fullmatch(text):
        raise InvalidInput(
            "Username must be 3–32 characters: letters, digits, dot, dash or underscore."
        )
    return text


def username_key(username: str) -> str:
    return username.casefold()


def clean_password(value: object) -> str:
    text = _as_text(value, "Password")
    # NFKC so the same password typed on different keyboards hashes the same.
    text = unicodedata.normalize("NFKC", text)
    if not PASSWORD_MIN <= len(text) <= PASSWORD_MAX:
        raise InvalidInput(f"Password must be {PASSWORD_MIN}–{PASSWORD_MAX} characters.")
    # NUL, and lone surrogates (valid JSON, but not Unicode text: they cannot be hashed).
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        raise InvalidInput("Password contains characters that are not allowed.")
    return text


def clean_display_name(value: object, *, fallback: str) -> str:
    return _clean_name(value, "Display name", DISPLAY_NAME_MAX, required=False) or fallback


def clean_room_name(value: object) -> str:
    text = _clean_name(value, "Room name", ROOM_NAME_MAX, required=True)
    # The case-folded key must fit its column too, and folding can lengthen ("ß" -> "ss").
    if len(room_name_key(text)) > ROOM_NAME_MAX:
        raise InvalidInput("Room name is too long.")
    return text


def room_name_key(name: str) -> str:
    return name.casefold()
