"""Many raw clients at once from one process, for tests that run several such processes
against one backend (concurrent load from separate processes, as separate machines would).

Each function is a plain top-level function, so a `ProcessPoolExecutor` with the "spawn"
context can run it; everything starts at the wall-clock time `start_at`, so the processes'
clients really overlap. Every client talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from tests.support.reflex_client import ROOT_STATE, SESSION_STATE, ReflexClient

AUTH_STATE = f"{ROOT_STATE}.distokoloshe___state___auth____auth_form_state"
PRESENCE_STATE = f"{ROOT_STATE}.distokoloshe___state___presence____presence_state"


async def _at(start_at: float) -> None:
    await asyncio.sleep(max(0.0, start_at - time.time()))


async def _hydrated(client: ReflexClient, timeout: float) -> None:
    await client.wait_for(lambda: client.value(ROOT_STATE, "is_hydrated") is True, timeout)


def lobby_tabs(port: int, origin: str, tabs: list[tuple[str, str]], start_at: float,
               hold_seconds: float) -> list[str]:
    """Open a signed-in lobby tab for each (session token, client address) at once, keep
    them all open for `hold_seconds`, and return each tab's over-capacity message
    ("" for a tab that was let in, "error: ..." for one that never finished loading)."""

    async def one(token: str, address: str) -> str:
        await _at(start_at)
        client = ReflexClient(port, origin=origin, session_token=token, client_address=address)
        try:
            await client.connect()
            await _hydrated(client, 30)
            await asyncio.sleep(hold_seconds)
            return client.value(PRESENCE_STATE, "over_capacity", "")
        except Exception as error:  # noqa: BLE001  (reported, counted by the test)
            return f"error: {error!r}"
        finally:
            await client.close()

    async def main() -> list[str]:
        return list(await asyncio.gather(*(one(token, address) for token, address in tabs)))

    return asyncio.run(main())


def auth_attempts(port: int, origin: str, handler: str, forms: list[dict], address: str,
                  start_at: float) -> list[str]:
    """Send each form to `handler` ("log_in" or "register") from its own tab, all from the
    same client address at once; return "signed in" or the error each tab was shown."""
    page = "/login" if handler == "log_in" else "/register"
    error_var = "login_error" if handler == "log_in" else "register_error"

    async def one(form: dict) -> str:
        client = ReflexClient(port, origin=origin, client_address=address,
                              router_data={"pathname": page, "asPath": page})
        try:
            await client.connect()
            await _hydrated(client, 30)
            await _at(start_at)
            await client.send(f"{AUTH_STATE}.{handler}", {"form_data": form})
            await client.wait_for(lambda: client.value(SESSION_STATE, "username")
                                  or client.value(AUTH_STATE, error_var), 60)
            return ("signed in" if client.value(SESSION_STATE, "username")
                    else client.value(AUTH_STATE, error_var))
        except Exception as error:  # noqa: BLE001
            return f"error: {error!r}"
        finally:
            with contextlib.suppress(Exception):
                await client.close()

    async def main() -> list[str]:
        return list(await asyncio.gather(*(one(form) for form in forms)))

    return asyncio.run(main())


def auth_attempts_each_from(port: int, origin: str, form: dict, addresses: list[str],
                            start_at: float) -> list[str]:
    """Log in with `form` once from each of `addresses` (as claimed in X-Forwarded-For), one
    after another from `start_at`; return what each tab was shown."""
    results = []
    for address in addresses:
        results += auth_attempts(port, origin, "log_in", [form], address, start_at)
    return results
