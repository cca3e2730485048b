"""Prints a first-admin link: it registers one admin account within a day, whatever the
registration mode. For whoever runs the server, from a shell on it:

    ./tokoloshe first-admin                    (a local install)
    docker compose exec app python -m distokoloshe.first_admin https://voice.example.org
"""

from __future__ import annotations

import sys

from distokoloshe import db, invites


def make_link(origin: str) -> str:
    db.migrate()
    with db.session_scope() as session:
        invite = invites.create_first_admin_invite(session=session)
    return invites.invite_link(origin, invite.code)


if __name__ == "__main__":
    origin = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000"
    print(f"One-time link for the first admin (works once, for "
          f"{invites.FIRST_ADMIN_HOURS} hours):\n{make_link(origin)}")
