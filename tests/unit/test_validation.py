"""What people may type as usernames, passwords, display names and room names."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from distokoloshe.validation import (
    InvalidInput,
    clean_display_name,
    clean_password,
    clean_password_to_check,
    clean_room_name,
    clean_username,
    display_name_key,
    is_common_password,
    record_id,
    room_name_key,
    username_key,
    well_formed,
)

NOT_TEXT = [123, 4.5, ["alice"], {"name": "alice"}, b"alice-bytes", object()]


# --------------------------------------------------------------------------- usernames


@pytest.mark.parametrize("name", ["abc", "a" * 32, "Alice_B.c-9", "...", "0-_"])
def test_username_accepts_3_to_32_allowed_characters(name):
    assert clean_username(name) == name


def test_username_keeps_its_case_but_its_key_ignores_case():
    assert clean_username("Alice") == "Alice"
    assert username_key("Alice") == username_key("ALICE") == username_key("alice")


def test_username_surrounding_whitespace_is_trimmed():
    assert clean_username("  alice\t") == "alice"


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # 2: one short
        "a" * 33,  # one long
        "",
        "   ",
        "al ice",  # inner space
        "ali\nce",
        "\u0430lice",  # Cyrillic a (U+0430), looks like Latin a
        "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth "alice"
        "alice\u200b",  # zero-width space
        "\u212avin",  # Kelvin sign, casefolds to k
        "\uff41\uff42\uff43",  # fullwidth "abc"
        "١٢٣",  # Arabic-Indic digits
        "<script>alert(1)</script>",
        "<b>bob</b>",
        "bob'; drop table users;--",
        "alice!",
        "al@ce",
        "a/b/c",
    ],
)
def test_username_refuses_everything_else(name):
    with pytest.raises(InvalidInput, match="3–32 characters"):
        clean_username(name)


@pytest.mark.parametrize("value", [None, *NOT_TEXT])
def test_username_that_is_not_text_is_invalid_input_not_a_crash(value):
    with pytest.raises(InvalidInput):
        clean_username(value)


def test_huge_username_is_refused_with_a_message():
    with pytest.raises(InvalidInput, match="far too long"):
        clean_username("a" * 100_000)


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    "password",
    [
        "a" * 8,
        "a" * 128,
        "\U0001f525" * 8,  # 8 emoji
        "\U0001f525\U0001f511 fire and key \U0001f600",
        "\u0436" * 128,  # 128 Cyrillic letters: 256 bytes in UTF-8, far over bcrypt's 72
        "\u5bc6\u7801\u5bc6\u7801\u5bc6\u7801\u5bc6\u7801",  # Chinese
        "correct horse battery staple",
        "tab\there and space",
    ],
)
def test_password_accepts_8_to_128_characters_of_any_unicode(password):
    assert clean_password(password) == password


def test_password_is_not_trimmed():
    assert clean_password("  spaced out  ") == "  spaced out  "


def test_password_is_normalized_so_equivalent_input_matches():
    # The "ﬁ" ligature (as some keyboards/autocorrect produce it) is the same password as "fi".
    assert clean_password("\ufb01nance-2026") == clean_password("finance-2026")


@pytest.mark.parametrize(
    "password",
    [
        "",
        "a" * 7,
        "\U0001f525" * 7,
        "a" * 129,
        "\u0436" * 129,
        "\u0436" * 200,
        "\U0001f525" * 129,
    ],
)
def test_password_outside_8_to_128_characters_is_refused(password):
    with pytest.raises(InvalidInput, match="8–128 characters"):
        clean_password(password)


@pytest.mark.parametrize("password", ["password\x00", "\x00" * 8,
                                      "\ud800" * 8, "password\udfff"])
def test_password_with_nul_or_lone_surrogates_is_refused(password):
    # Lone surrogates arrive fine in JSON but cannot be encoded to hash them.
    with pytest.raises(InvalidInput, match="not allowed"):
        clean_password(password)


@pytest.mark.parametrize("value", [None, *NOT_TEXT])
def test_password_that_is_not_text_is_invalid_input_not_a_crash(value):
    with pytest.raises(InvalidInput):
        clean_password(value)


@pytest.mark.parametrize("size", [1025, 5000, 1_000_000])
def test_huge_password_is_refused_with_a_message(size):
    with pytest.raises(InvalidInput, match="Password is far too long"):
        clean_password("p" * size)


@pytest.mark.parametrize("password", ["12345678", "password", "PASSWORD", "PassWord",
                                      "qwertyuiop", "iloveyou", "1qaz2wsx", "trustno1",
                                      "Baseball", "superman"])
def test_the_most_common_passwords_are_refused_ignoring_case(password):
    with pytest.raises(InvalidInput, match=r"^This password is too common; choose another\.$"):
        clean_password(password)


def test_the_common_password_list_ships_in_the_package_with_thousands_of_entries():
    shipped = resources.files("distokoloshe").joinpath("data/common_passwords.txt")
    entries = [line for line in shipped.read_text(encoding="utf-8").splitlines() if line]
    assert len(entries) >= 3000
    assert all(is_common_password(entry.upper()) for entry in entries[:50])


def test_a_common_password_is_still_checked_at_log_in():
    # An account may predate the rule: logging in with its password must keep working.
    assert clean_password_to_check("password") == "password"


# --------------------------------------------------------------------------- display names


def test_display_name_is_trimmed_and_collapsed():
    assert clean_display_name("  Big \t\n  Al  ", fallback="x") == "Big Al"


@pytest.mark.parametrize("value", ["", "   ", "\t\n", None])
def test_empty_display_name_falls_back(value):
    assert clean_display_name(value, fallback="alice") == "alice"


def test_display_name_keeps_html_as_plain_text():
    name = "<img src=x onerror=alert(1)>"
    assert clean_display_name(name, fallback="x") == name


def test_display_name_allows_unicode_and_emoji():
    name = "Zoë \U0001f3a7 \u738b"
    assert clean_display_name(name, fallback="x") == name


def test_display_name_length_limit_is_32():
    assert clean_display_name("d" * 32, fallback="x") == "d" * 32
    with pytest.raises(InvalidInput, match="at most 32"):
        clean_display_name("d" * 33, fallback="x")


CONTROL_AND_BIDI = [
    "bell\x07",
    "\x1b[31mred",  # terminal escape
    "del\x7f",
    "nul\x00byte",
    "\u202eevil",  # RIGHT-TO-LEFT OVERRIDE
    "a\u202ab",  # LEFT-TO-RIGHT EMBEDDING
    "a\u202db",  # LEFT-TO-RIGHT OVERRIDE
    "x\u2066y",  # LEFT-TO-RIGHT ISOLATE
    "x\u2067y",  # RIGHT-TO-LEFT ISOLATE
    "x\u2068y",  # FIRST STRONG ISOLATE
    "x\u2069y",  # POP DIRECTIONAL ISOLATE
    "sur\ud800rogate",
    "private\ue000use",
    "unassigned\U000e0fff",
]


@pytest.mark.parametrize("name", CONTROL_AND_BIDI)
def test_display_name_refuses_control_and_bidi_characters(name):
    with pytest.raises(InvalidInput, match="not allowed"):
        clean_display_name(name, fallback="x")


@pytest.mark.parametrize("value", NOT_TEXT)
def test_display_name_that_is_not_text_is_invalid_input(value):
    with pytest.raises(InvalidInput):
        clean_display_name(value, fallback="x")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ali\u200bce", "Alice"),  # zero-width space
        ("Ali\u200dce\u2060", "Alice"),  # zero-width joiner, word joiner
        ("\ufeffAlice\u00ad", "Alice"),  # BOM, soft hyphen
        ("Alice\ufe0f", "Alice"),  # variation selector
        ("Al\u034fice", "Alice"),  # combining grapheme joiner
        ("Alice\U000e0041", "Alice"),  # a tag character
        ("\uff21\uff4c\uff49\uff43\uff45", "Alice"),  # fullwidth, NFKC
        ("\U0001d400lice", "Alice"),  # mathematical bold A, NFKC
        ("Ａ \u200b B", "A B"),
    ],
)
def test_display_name_is_nfkc_normalized_without_invisible_characters(typed, stored):
    assert clean_display_name(typed, fallback="x") == stored


def test_a_display_name_of_only_invisible_characters_falls_back():
    assert clean_display_name("\u200b\u200c\ufeff", fallback="alice") == "alice"


@pytest.mark.parametrize(
    "look_alike",
    [
        "alice", "ALICE", "aLiCe",
        "\u0430lice",  # Cyrillic а
        "Ali\u0441e",  # Cyrillic с
        "\u0391lice",  # Greek capital alpha
        "AIice",  # capital I for small l
        "A1ice",  # digit one for small l
        "Ali\u200bce",  # zero-width space
        "\uff21lice",  # fullwidth A
        "  Alice  ",
    ],
)
def test_names_that_look_alike_share_a_key(look_alike):
    assert display_name_key(clean_display_name(look_alike, fallback="x")) == \
        display_name_key("Alice")


@pytest.mark.parametrize(("one", "other"), [("rnike", "mike"), ("B0B", "bob"),
                                            ("\u0392\u039f\u0392", "BOB")])
def test_latin_look_alikes_share_a_key(one, other):
    assert display_name_key(one) == display_name_key(other)


@pytest.mark.parametrize(("one", "other"), [("Alice", "Alicia"), ("Alice", "Alice 2"),
                                            ("Bob", "Rob"), ("Zoë", "Zoe"), ("Sipho", "Siphon")])
def test_different_names_have_different_keys(one, other):
    assert display_name_key(one) != display_name_key(other)


def test_huge_display_name_is_refused_with_a_message():
    with pytest.raises(InvalidInput, match="far too long"):
        clean_display_name("\u202e" * 5000, fallback="x")


# --------------------------------------------------------------------------- room names


def test_room_name_is_trimmed_and_whitespace_collapsed():
    assert clean_room_name("   Movie \t\n  night   ") == "Movie night"


def test_room_name_is_nfc_normalized():
    assert clean_room_name("Cafe\u0301") == "Caf\u00e9"


def test_room_name_length_is_1_to_48_after_collapsing():
    assert clean_room_name("a") == "a"
    assert clean_room_name("r" * 48) == "r" * 48
    # 24 + 5 spaces + 23 collapses to exactly 48
    assert clean_room_name("a" * 24 + "     " + "b" * 23) == "a" * 24 + " " + "b" * 23
    with pytest.raises(InvalidInput, match="at most 48"):
        clean_room_name("r" * 49)


@pytest.mark.parametrize("value", ["", "   ", "\n\t", None])
def test_empty_room_name_is_refused(value):
    with pytest.raises(InvalidInput, match="cannot be empty"):
        clean_room_name(value)


@pytest.mark.parametrize("name", CONTROL_AND_BIDI)
def test_room_name_refuses_control_and_bidi_characters(name):
    with pytest.raises(InvalidInput, match="not allowed"):
        clean_room_name(name)


@pytest.mark.parametrize("value", NOT_TEXT)
def test_room_name_that_is_not_text_is_invalid_input(value):
    with pytest.raises(InvalidInput, match="must be text"):
        clean_room_name(value)


def test_huge_room_name_is_refused_with_a_message():
    with pytest.raises(InvalidInput, match="Room name is far too long"):
        clean_room_name(" " * 2000)


def test_room_name_key_ignores_case():
    assert room_name_key("Lobby") == room_name_key("LOBBY") == room_name_key("lobby")
    assert room_name_key("Stra\u00dfe") == room_name_key("STRASSE")


def test_room_name_whose_case_folded_key_would_not_fit_is_refused_cleanly():
    # "ß" folds to "ss": 24 of them make a 48-character key, 25 would not fit the column.
    assert clean_room_name("\u00df" * 24) == "\u00df" * 24
    with pytest.raises(InvalidInput, match="too long"):
        clean_room_name("\u00df" * 25)


# --------------------------------------------------------------------------- any event text
def test_lone_surrogates_anywhere_in_an_event_become_replacement_characters():
    event = {"name": "x", "payload": {"message": "caf\ud800", "list": ["\udfff", 3, None],
                                      "\udc00key": {"deep": ["ok \U0001f600"]}}}
    clean = well_formed(event)
    assert clean == {"name": "x", "payload": {"message": "caf\ufffd", "list": ["\ufffd", 3, None],
                                              "\ufffdkey": {"deep": ["ok \U0001f600"]}}}
    json.dumps(clean, ensure_ascii=False).encode("utf-8")  # now it can be sent back


def test_well_formed_values_come_back_as_they_are():
    event = {"a": ["plain", "Zo\u00eb \u2603 \U0001f600", 1.5, True, None]}
    assert well_formed(event) == event


def test_a_mark_kept_apart_by_an_invisible_character_composes_once_it_is_gone():
    cleaned = clean_display_name("Rene\u200d\u0301", fallback="x")
    assert cleaned == "Ren\u00e9"
    assert clean_display_name(cleaned, fallback="x") == cleaned


# --------------------------------------------------------------------------- record ids


@pytest.mark.parametrize(("value", "expected"), [
    (7, 7), ("7", 7), ("000123", 123), (2**63 - 1, 2**63 - 1), ("9" * 18, int("9" * 18)),
])
def test_a_record_id_is_a_positive_number_or_its_ascii_digits(value, expected):
    assert record_id(value) == expected


@pytest.mark.parametrize("value", [
    0, -1, 2**63, True, 1.0, None, [], "", " 7", "7 ", "-7", "+7", "1e3", "9" * 19,
    "\u00b9", "\u0661\u0662", "\uff17",  # superscript one, Arabic-Indic and full-width digits
])
def test_anything_else_is_no_record_id_and_no_crash(value):
    assert record_id(value) is None
