"""The login and registration rate limits and the connection caps hold under concurrent load
from several processes: however the requests interleave, exactly the allowed number gets in."""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlmodel import select

from distokoloshe.models import User
from tests.faults.conftest import start_stack, stop_stack
from tests.support import swarm
from tests.support.identities import PASSWORD, next_client_address

PROCESSES = 4


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(time.sleep, [0] * PROCESSES))  # the workers are up before any timing
        yield pool


async def in_processes(pool, function, *per_process_args) -> list:
    """Run `function(*args)` in each worker process at once; their results, concatenated."""
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(*(loop.run_in_executor(pool, function, *args)
                                     for args in per_process_args))
    return [item for result in results for item in result]


def split(items: list, parts: int = PROCESSES) -> list[list]:
    return [items[n::parts] for n in range(parts)]


async def test_the_login_limit_holds_under_concurrent_attempts(stack, pool):
    user = stack.user("Popular")
    address = next_client_address()  # everyone behind one address, as the limit counts
    attempts = [{"username": user.username, "password": PASSWORD}] * 32
    start = time.time() + 3
    outcomes = await in_processes(pool, swarm.auth_attempts, *(
        (stack.port, stack.origin, "log_in", forms, address, start) for forms in split(attempts)))
    refused = [o for o in outcomes if o.startswith("Too many login attempts from your network")]
    print(f"\nlogin limit (20 per 15 minutes): {len(attempts)} concurrent attempts from "
          f"{PROCESSES} processes, {outcomes.count('signed in')} signed in, {len(refused)} refused")
    assert outcomes.count("signed in") == 20
    assert len(refused) == len(attempts) - 20


async def test_the_registration_limit_holds_under_concurrent_attempts(stack, pool):
    address = next_client_address()
    names = [f"r{secrets.token_hex(4)}" for _ in range(12)]
    forms = [{"username": name, "password": PASSWORD, "confirm": PASSWORD,
              "display_name": name} for name in names]
    start = time.time() + 3
    outcomes = await in_processes(pool, swarm.auth_attempts, *(
        (stack.port, stack.origin, "register", part, address, start) for part in split(forms)))
    refused = [o for o in outcomes
               if o.startswith("Too many registration attempts from your network")]
    with stack.db() as session:
        created = session.exec(select(User.username).where(User.username.in_(names))).all()
    print(f"\nregistration limit (5 an hour): {len(forms)} concurrent attempts, "
          f"{len(created)} accounts created, {len(refused)} refused")
    assert outcomes.count("signed in") == len(created) == 5
    assert len(refused) == len(forms) - 5


async def test_the_per_user_tab_cap_holds_under_concurrent_tabs(stack, pool):
    user = stack.user("Many tabs")
    token = stack.token(user)
    tabs = [(token, next_client_address()) for _ in range(12)]
    start = time.time() + 3
    outcomes = await in_processes(pool, swarm.lobby_tabs, *(
        (stack.port, stack.origin, part, start, 3.0) for part in split(tabs)))
    limit = 3  # MAX_CONNECTIONS_PER_USER's default
    refused = [o for o in outcomes if o.startswith(f"You already have {limit} tabs open")]
    print(f"\nper-user tab cap ({limit}): {len(tabs)} concurrent tabs of one user, "
          f"{outcomes.count('')} let in, {len(refused)} refused")
    assert outcomes.count("") == limit
    assert len(refused) == len(tabs) - limit


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """A backend that admits 6 lobby connections in all."""
    running = start_stack(tmp_path_factory.mktemp("faults-full"), with_livekit=False,
                          MAX_CONNECTIONS="6")
    yield running
    stop_stack(running)


async def test_the_server_wide_connection_cap_holds_under_concurrent_tabs(small_server, pool):
    stack = small_server
    tabs = [(stack.token(stack.user(f"Guest {n}")), next_client_address()) for n in range(12)]
    start = time.time() + 3
    outcomes = await in_processes(pool, swarm.lobby_tabs, *(
        (stack.port, stack.origin, part, start, 3.0) for part in split(tabs)))
    refused = [o for o in outcomes if o.startswith("The server is full (6 connections)")]
    print(f"\nserver-wide cap (6): {len(tabs)} concurrent tabs of different users, "
          f"{outcomes.count('')} let in, {len(refused)} refused")
    assert outcomes.count("") == 6
    assert len(refused) == len(tabs) - 6


async def test_without_a_proxy_a_forged_forwarded_for_does_not_escape_the_login_limit(
        tmp_path_factory, pool):
    """With TRUSTED_PROXY_HOPS=0 no proxy is trusted, loopback included: 24 attempts that
    each claim another address in X-Forwarded-For still count against the one real peer."""
    bare = start_stack(tmp_path_factory.mktemp("no-proxy"), with_livekit=False,
                       TRUSTED_PROXY_HOPS="0")
    try:
        user = bare.user("Forger")
        attempts = [[{"username": user.username, "password": "not the password"}]] * 24
        start = time.time() + 3
        outcomes = await in_processes(pool, swarm.auth_attempts_each_from, *(
            (bare.port, bare.origin, forms[0], [next_client_address() for _ in range(6)], start)
            for forms in split(attempts)))
    finally:
        stop_stack(bare)
    refused = [o for o in outcomes if o.startswith("Too many login attempts")]
    print(f"\n24 attempts with forged X-Forwarded-For: {len(refused)} refused")
    assert len(refused) == 4, outcomes
