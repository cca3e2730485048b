"""The real app behind a loopback proxy, Debian's Chromium driven by Playwright, and the
scaled workers: one of each per pytest session, registered for the whole suite by
tests/conftest.py (a fixture imported into several conftests would start once per conftest).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable
from unittest import mock

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlmodel import Session, select

from distokoloshe import accounts, passwords, sessions, validation
from distokoloshe.db import make_engine
from distokoloshe.models import User
from tests.support import servers
from tests.support.app import AppProcess, BackendProcess
from tests.support.appenv import settings_of
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RECORD_PEER_CONNECTIONS
from tests.support.identities import PASSWORD, next_client_address, password_hash
from tests.support.livekit_server import LiveKitServer
from tests.support.peer import tone_wav
from tests.support.ports import free_port
from tests.support.tcp_proxy import CuttableProxy

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def proxy():
    proxy = CuttableProxy(upstream_port=free_port()).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def livekit(tmp_path_factory, proxy) -> LiveKitServer:
    server = LiveKitServer(
        workdir=tmp_path_factory.mktemp("livekit"),
        webhook_url=f"http://127.0.0.1:{proxy.upstream_port}/api/livekit/webhook",
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(tmp_path_factory, proxy, livekit) -> AppProcess:
    server = AppProcess(data_dir=tmp_path_factory.mktemp("app"), public_port=proxy.port,
                        port=proxy.upstream_port, extra_env=livekit.app_env()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def browser(tmp_path_factory) -> AsyncIterator[Browser]:
    # Every fake microphone plays a steady tone, so speaking and hearing are measurable.
    tone = tone_wav(tmp_path_factory.mktemp("media") / "tone.wav")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={tone}"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        await browser.close()


class ContextOpener:
    """Fresh browser contexts (own storage, own client address), closed at teardown."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts = []

    async def page(self, address: str, **options) -> Page:
        context = await self.browser.new_context(
            base_url=self.base_url, extra_http_headers={"X-Forwarded-For": address}, **options)
        await context.add_init_script(RECORD_PEER_CONNECTIONS)
        self.contexts.append(context)
        return await context.new_page()

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest.fixture
async def new_page(browser, app):
    """Opens a page in a fresh browser context (its own storage and client address)."""
    opener = ContextOpener(browser, app.public_url)

    async def open_page(*, width: int = 1280, height: int = 800,
                        color_scheme: str = "light") -> Page:
        return await opener.page(next_client_address(), color_scheme=color_scheme,
                                 viewport={"width": width, "height": height})

    yield open_page
    await opener.close()


def _retire_display_name(session: Session, display_name: str) -> None:
    """Display names are unique (look-alikes included), and the session's app outlives each
    test: an account an earlier test made with this name gets another, so this test's
    account has exactly the name it asks for."""
    key = validation.display_name_key(validation.clean_display_name(display_name,
                                                                    fallback="x"))
    for holder in session.exec(select(User).where(User.display_name_key == key)):
        retired = f"Earlier {secrets.token_hex(4)}"
        holder.display_name = retired
        holder.display_name_key = validation.display_name_key(retired)
        session.add(holder)
    session.flush()


# username -> a way to mint that account a session token, as its app does at a login: for
# the accounts the fixtures below seed (log_in uses it).
_session_minters: dict[str, Callable[[], str]] = {}


def _session_minter(database_url: str, env: dict[str, str], username: str
                    ) -> Callable[[], str]:
    def mint() -> str:
        engine = make_engine(database_url)
        try:
            with Session(engine) as session:
                user = session.exec(select(User).where(User.username == username)).one()
                return sessions.issue_session_token(user.id, user.token_version,
                                                    settings=settings_of(env))
        finally:
            engine.dispose()
    return mint


@contextlib.contextmanager
def account_maker(database_url: str, prefix: str, env: dict[str, str] | None = None):
    """create(display_name="", username=None) -> username, writing straight to the database.
    With the app's `env` (its secrets), log_in can sign the account in without the form."""
    engine = make_engine(database_url)

    def create(display_name: str = "", *, username: str | None = None) -> str:
        username = username or prefix + secrets.token_hex(5)
        with Session(engine) as session:
            if display_name:
                _retire_display_name(session, display_name)
            # the real registration, with the session's one hash of PASSWORD
            hashed = password_hash()
            with mock.patch.object(passwords, "hash_password", lambda _: hashed):
                accounts.register(session=session, username=username, password=PASSWORD,
                                  display_name=display_name)
            session.commit()
        if env is not None:
            _session_minters[username] = _session_minter(database_url, env, username)
        return username

    try:
        yield create
    finally:
        engine.dispose()


@pytest.fixture
def seed_user(app):
    """Creates an account directly in the app's database; returns its username."""
    with account_maker(app.database_url, "u", app.env) as create:
        yield create


# Puts a session token where the app keeps it (SessionState.session_token, a LocalStorage
# var named dtk_session), once per tab: a later reload or log-out finds what the app left.
_STORE_SESSION = """
([token, once]) => {
  if (!location.protocol.startsWith("http") || sessionStorage.getItem(once)) return;
  sessionStorage.setItem(once, "1");
  localStorage.setItem("dtk_session", token);
}
"""


async def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Signs `username` in on `page` and waits for the lobby. An account the fixtures seeded
    gets the session token its app would issue and opens the lobby with it, skipping the
    form (a login costs a bcrypt check and a page; the form is tested by log_in_with_form's
    callers, tests/e2e/test_accounts.py). Anyone else, or another password, uses the form."""
    mint = _session_minters.get(username) if password == PASSWORD else None
    if mint is None:
        await log_in_with_form(page, username, password)
        return
    once = f"dtk-test-login-{secrets.token_hex(4)}"
    await page.add_init_script(f"({_STORE_SESSION})({json.dumps([mint(), once])})")
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
    # the backend has verified the session, as after the form's login round trip
    await expect(page.get_by_role("button", name=re.compile("^Account menu for "))
                 ).to_be_attached()


async def log_in_with_form(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Rooms")).to_be_visible()


async def create_room(page: Page, name: str) -> None:
    await page.get_by_label("New room").fill(name)
    await page.get_by_role("button", name="Create room").click()


async def share_screen(page: Page, *, preset: str, codec: str, audio: bool = False) -> None:
    """Shares the (fake) screen from a page in a call, with the given quality and codec."""
    await page.get_by_role("button", name="Screen share settings").click()
    await page.get_by_label("Quality", exact=True).select_option(preset)
    await page.get_by_label("Codec", exact=True).select_option(codec)
    if audio:
        await page.get_by_role("checkbox", name="Share the screen's audio too").click()
    await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Share screen").click()
    await expect(page.get_by_role("button", name="Stop sharing")).to_be_visible(timeout=15_000)


# -- scaled: two backend workers on Redis and PostgreSQL -------------------------------------

SCALED_MAX_CONNECTIONS = 4


@dataclasses.dataclass
class Scaled:
    workers: list[BackendProcess]
    database_url: str
    redis: servers.RedisProcess
    livekit: LiveKitServer


@pytest.fixture(scope="session")
def scaled(tmp_path_factory, app, proxy):
    """Two backend-only workers sharing a real Redis and PostgreSQL and their own LiveKit,
    on the session app's public origin (it serves the pages; `open_on` below sends each
    browser context's websocket to the worker chosen for it)."""
    redis = servers.RedisProcess(root=tmp_path_factory.mktemp("redis")).start()
    with servers.postgres_database() as database_url:
        ports = [free_port(), free_port()]
        livekit = LiveKitServer(
            workdir=tmp_path_factory.mktemp("livekit-scaled"),
            webhook_url=f"http://127.0.0.1:{ports[1]}/api/livekit/webhook",
        ).start()
        shared = {
            **livekit.app_env(), "REFLEX_REDIS_URL": redis.url, "DATABASE_URL": database_url,
            "MAX_CONNECTIONS": str(SCALED_MAX_CONNECTIONS),
            "JWT_SECRET": secrets.token_urlsafe(48), "E2EE_SECRET": secrets.token_urlsafe(48),
        }
        workers = []
        try:
            for port in ports:
                workers.append(BackendProcess(
                    data_dir=tmp_path_factory.mktemp("worker"), public_port=proxy.port,
                    port=port, extra_env=shared).start())
            yield Scaled(workers, database_url, redis, livekit)
        finally:
            for worker in workers:
                worker.stop()
            livekit.stop()
            redis.stop()


@pytest.fixture
async def open_on(browser, app, proxy, scaled):
    """Opens a page whose Reflex websocket goes to scaled worker `n` (0 or 1)."""
    opener = ContextOpener(browser, app.public_url)

    async def open_page(n: int) -> Page:
        address = next_client_address()
        proxy.route_events(address, scaled.workers[n].port)
        return await opener.page(address)

    yield open_page
    await opener.close()


@pytest.fixture
def scaled_user(scaled):
    """Creates an account in the scaled workers' database; returns its username."""
    with account_maker(scaled.database_url, "w", scaled.workers[0].env) as create:
        yield create
