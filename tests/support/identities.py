"""Who the tests are: the one password every test account has (and its one hash), and
client addresses.

Each raw client or browser context claims its own client address (from the shared address
space of RFC 6598; it is only an X-Forwarded-For value), so one test's rate-limit hits never
count against another's. One stream for the whole pytest session: no two clients share one.
"""

from __future__ import annotations

import functools

from distokoloshe import passwords

PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once for the session: the accounts the tests seed share it, since a
    bcrypt hash costs a third of a second here and the seeding is not what they test."""
    return passwords.hash_password(PASSWORD)

_addresses = (f"100.64.{a}.{b}" for a in range(256) for b in range(1, 255))


def next_client_address() -> str:
    return next(_addresses)
