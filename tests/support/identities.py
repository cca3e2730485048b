"""Who the tests are: the one password every test account has, and client addresses.

Each raw client or browser context claims its own client address (from the shared address
space of RFC 6598; it is only an X-Forwarded-For value), so one test's rate-limit hits never
count against another's. One stream for the whole pytest session: no two clients share one.
"""

from __future__ import annotations

PASSWORD = "correct horse battery"

_addresses = (f"100.64.{a}.{b}" for a in range(256) for b in range(1, 255))


def next_client_address() -> str:
    return next(_addresses)
