"""Rules for everything a person types: usernames, passwords, display and room names.

Each function returns the clean value or raises InvalidInput with a message fit to show.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

import disarm

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,32}")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
DISPLAY_NAME_MAX = 32
ROOM_NAME_MAX = 48
# The stored key of a display name: case folding and confusable mapping can lengthen it.
DISPLAY_NAME_KEY_MAX = 160
# Refuse absurd payloads before doing any Unicode work on them.
RAW_INPUT_MAX = 1024
COMMON_PASSWORD = "This password is too common; choose another."

# Bidirectional overrides and isolates can make a name render as something else.
_BIDI_CONTROLS = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


# JSON can carry lone UTF-16 surrogates ("\ud800"); Python keeps them, UTF-8 cannot encode them.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# Characters that render as nothing (Unicode's Default_Ignorable_Code_Point, less what is
# refused outright): format characters (category Cf: zero-width space and joiners, soft
# hyphen, word joiner, BOM, tags...), variation selectors, the combining grapheme joiner and
# the Hangul and Khmer fillers. A display name is stored and compared without them.
_INVISIBLE_EXTRA = ({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0}
                    | set(range(0x180B, 0x1810)) | set(range(0xFE00, 0xFE10))
                    | set(range(0xE0100, 0xE01F0)))

# TR39's skeleton also folds look-alikes within Latin itself, which disarm deliberately leaves
# out (it serves prose): capital I, digit one and the vertical bar look like a small L, digit
# zero like an O, and "rn" like "m". Applied after case folding, so small i goes with capital
# I (or "ALICE" and "Alice" would differ): "Kim" and "Klm" share a key, a price worth paying.
_LATIN_LOOKALIKES = str.maketrans({"i": "l", "1": "l", "|": "l", "0": "o"})


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


def _clean_name(value: object, field: str, max_length: int, *, required: bool,
                form: str = "NFC") -> str:
    text = unicodedata.normalize(form, _as_text(value, field))
    if form == "NFKC":
        if any(ord(char) in _BIDI_CONTROLS for char in text):
            raise InvalidInput(f"{field} contains characters that are not allowed.")
        # Again after stripping: a mark that an invisible kept apart may now compose.
        text = unicodedata.normalize(form, "".join(c for c in text if not _invisible(c)))
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


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or ord(char) in _INVISIBLE_EXTRA


def clean_username(value: object) -> str:
    text = _as_text(value, "Username").strip()
    if not USERNAME_PATTERN.fullmatch(text):
        raise InvalidInput(
            "Username must be 3–32 characters: letters, digits, dot, dash or underscore."
        )
    return text


def username_key(username: str) -> str:
    return username.casefold()


def clean_password_to_check(value: object) -> str:
    """A password as typed at log-in: the same normalization and form as a new one, without
    refusing common ones (an account may predate that rule)."""
    text = _as_text(value, "Password")
    # NFKC so the same password typed on different keyboards hashes the same.
    text = unicodedata.normalize("NFKC", text)
    if not PASSWORD_MIN <= len(text) <= PASSWORD_MAX:
        raise InvalidInput(f"Password must be {PASSWORD_MIN}–{PASSWORD_MAX} characters.")
    # NUL, and lone surrogates (valid JSON, but not Unicode text: they cannot be hashed).
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        raise InvalidInput("Password contains characters that are not allowed.")
    return text


def clean_password(value: object) -> str:
    """A new password: well formed, and not one of the most common ones."""
    text = clean_password_to_check(value)
    if is_common_password(text):
        raise InvalidInput(COMMON_PASSWORD)
    return text


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The most used passwords of at least 8 characters, case-folded: the 11,611 such entries
    of zxcvbn's list of the 30,000 most common (MIT licence; drawn from leaked passwords)."""
    text = resources.files("distokoloshe").joinpath("data/common_passwords.txt").read_text(
        encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


def is_common_password(password: str) -> bool:
    """True if `password` is, ignoring case, one of the most common passwords."""
    return password.casefold() in _common_passwords()


def clean_display_name(value: object, *, fallback: str) -> str:
    """NFKC (so fullwidth and styled letters become plain ones), without invisible characters,
    whitespace collapsed; refused if it holds controls or bidi overrides, or is too long."""
    text = _clean_name(value, "Display name", DISPLAY_NAME_MAX, required=False,
                       form="NFKC") or fallback
    if len(display_name_key(text)) > DISPLAY_NAME_KEY_MAX:
        raise InvalidInput("Display name is too long.")
    return text


def display_name_key(name: str) -> str:
    """What two display names must not share: a skeleton in the manner of Unicode TR39, case
    folded, so names that look alike (Cyrillic "а" for Latin "a", "I" for "l", "rn" for "m",
    another case, invisible characters) get the same key. Confusables come from disarm's copy of
    the TR39 table, folded toward Latin with TR39's own targets for digits."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(char for char in text if not _invisible(char))
    text = disarm.normalize_confusables(text, digit_policy="tr39").casefold()
    # folding case can make letters that have look-alikes again
    text = disarm.normalize_confusables(text, digit_policy="tr39")
    text = text.translate(_LATIN_LOOKALIKES).replace("rn", "m")
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_room_name(value: object) -> str:
    text = _clean_name(value, "Room name", ROOM_NAME_MAX, required=True)
    # The case-folded key must fit its column too, and folding can lengthen ("ß" -> "ss").
    if len(room_name_key(text)) > ROOM_NAME_MAX:
        raise InvalidInput("Room name is too long.")
    return text


def room_name_key(name: str) -> str:
    return name.casefold()


ID_MAX = 2**63 - 1  # ids fit a signed 64-bit column; SQLite raises past it


def number_in(text: str, max_digits: int) -> int | None:
    """The number `text` spells in 1 to `max_digits` ASCII digits, or None. (str.isdigit
    alone also accepts digits such as "¹" that int() refuses.)"""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def record_id(value: object) -> int | None:
    """The database id a client named (a number, or its digits as text), or None if it
    cannot be one."""
    if isinstance(value, str):
        value = number_in(value, 18)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX:
        return value
    return None
