"""Password hashes: bcrypt_sha256 at cost >= 12, no length truncation, no crashes."""

from __future__ import annotations

import re

import pytest

from distokoloshe import passwords
from tests.support.appenv import isolate_settings, reset_caches

LONG_NON_ASCII = "\u0436\u00e9\u738b\U0001f525" * 50  # 200 characters, 550 bytes of UTF-8
pytestmark = pytest.mark.real_hashing

HASH_FORMAT = re.compile(r"\$bcrypt-sha256\$v=2,t=2b,r=(\d+)\$[./A-Za-z0-9]{22}\$[./A-Za-z0-9]{31}")


@pytest.fixture(scope="module")
def long_hash(tmp_path_factory) -> str:
    # One hash shared by the module's tests (each costs a quarter second at cost 12), made
    # under the same isolated settings the per-test fixture gives.
    with pytest.MonkeyPatch.context() as monkeypatch:
        reset_caches()
        isolate_settings(monkeypatch, data_dir=tmp_path_factory.mktemp("data"))
        try:
            return passwords.hash_password(LONG_NON_ASCII)
        finally:
            reset_caches()


def test_hash_is_bcrypt_sha256_with_cost_at_least_12(long_hash):
    match = HASH_FORMAT.fullmatch(long_hash)
    assert match, long_hash
    assert int(match.group(1)) >= 12


def test_hash_never_contains_the_password(long_hash):
    assert LONG_NON_ASCII not in long_hash
    assert LONG_NON_ASCII[:8] not in long_hash


def test_long_non_ascii_password_verifies(long_hash):
    assert len(LONG_NON_ASCII) == 200
    assert passwords.verify_password(LONG_NON_ASCII, long_hash) is True


def test_wrong_password_does_not_verify(long_hash):
    assert passwords.verify_password("correct horse battery staple", long_hash) is False


def test_password_differing_only_after_72_bytes_does_not_verify(long_hash):
    # Plain bcrypt would ignore everything after byte 72 and accept this.
    altered = LONG_NON_ASCII[:-1] + "x"
    assert altered.encode()[:72] == LONG_NON_ASCII.encode()[:72]
    assert passwords.verify_password(altered, long_hash) is False


def test_same_password_hashes_differently_each_time(long_hash):
    assert passwords.hash_password(LONG_NON_ASCII) != long_hash


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash",
        "$bcrypt-sha256$v=2,t=2b,r=12$tooshort",
        "$2b$12$" + "a" * 10,
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        None,
        12345,
        b"$2b$12$abc",
    ],
)
def test_garbage_hash_returns_false_not_an_error(garbage):
    assert passwords.verify_password("whatever password", garbage) is False


def test_the_unknown_user_decoy_is_a_real_hash_at_the_same_cost(long_hash):
    decoy = passwords._dummy_hash()
    cost = int(HASH_FORMAT.fullmatch(long_hash).group(1))
    match = HASH_FORMAT.fullmatch(decoy)
    assert match and int(match.group(1)) == cost
