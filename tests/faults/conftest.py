"""Fixtures for the hostile-client tests: the real backend, driven by raw clients.

Those tests never need a page, so `stack` is the backend alone (`reflex run --env prod
--backend-only`, as production runs it behind nginx) with its own LiveKit server; it builds
no frontend, so it cannot disturb the `.web/` build of the session's single-port app. The
restart tests use that app, its browser and the scaled workers (tests/support/live_fixtures.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import distokoloshe
from distokoloshe import sessions
from distokoloshe.db import make_engine
from distokoloshe.models import User
from distokoloshe.settings import Settings
from tests.support.app import BackendProcess
from tests.support.appenv import settings_of
from tests.support.identities import next_client_address, password_hash
from tests.support.livekit_server import LiveKitServer
from tests.support.ports import free_port
from tests.support.reflex_client import ReflexClient

PACKAGE_DIR = str(Path(distokoloshe.__file__).resolve().parent)


def product_frames_in_tracebacks(log: str) -> list[str]:
    """The distokoloshe source lines that appear in the tracebacks of a piece of app log
    (the console wraps long lines, so the log is unwrapped first)."""
    unwrapped = log.replace("\n", "")
    return sorted(set(re.findall(re.escape(PACKAGE_DIR) + r'/([\w/]+\.py)", line (\d+)',
                                 unwrapped)))


@dataclasses.dataclass
class Stack:
    """One running backend (and the LiveKit it talks to), plus what a test needs to reach it."""

    app: BackendProcess
    livekit: LiveKitServer | None
    settings: Settings
    engine: Engine
    _names: Iterator[int] = dataclasses.field(default_factory=itertools.count)

    @property
    def port(self) -> int:
        return self.app.port

    @property
    def origin(self) -> str:
        return self.app.public_url

    @contextlib.contextmanager
    def db(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def log_since(self, offset: int) -> str:
        return self.app.log_path.read_bytes()[offset:].decode(errors="replace")

    def log_size(self) -> int:
        return self.app.log_path.stat().st_size

    def user(self, display_name: str = "") -> User:
        """An account with PASSWORD, added straight to the app's database."""
        username = f"f{next(self._names)}{secrets.token_hex(3)}"
        with self.db() as session:
            user = User(username=username, username_key=username,
                        display_name=display_name or username, password_hash=password_hash())
            session.add(user)
            session.flush()
        return user

    def token(self, user: User) -> str:
        """The session token the app would give this user at login (as its localStorage holds)."""
        with self.db() as session:
            version = session.get(User, user.id).token_version
        return sessions.issue_session_token(user.id, version, settings=self.settings)

    def client(self, user: User | None = None, *, token: str | None = None,
               address: str | None = None, **kwargs) -> ReflexClient:
        """A raw client (not yet connected); signed in as `user` unless a token is given."""
        if token is None:
            token = self.token(user) if user is not None else ""
        return ReflexClient(self.port, origin=self.origin, session_token=token,
                            client_address=address or next_client_address(), **kwargs)

    async def signed_in(self, user: User, **kwargs) -> ReflexClient:
        """A connected lobby tab of `user`, once its lobby on_load has finished."""
        client = await self.client(user, **kwargs).connect()
        await client.wait_for(lambda: client.value("reflex___state____state", "is_hydrated"), 20)
        return client


def start_stack(workdir, *, with_livekit: bool = True, port: int | None = None,
                **extra_env: str) -> Stack:
    port = port or free_port()
    livekit = None
    if with_livekit:
        livekit = LiveKitServer(workdir=workdir,
                                webhook_url=f"http://127.0.0.1:{port}/api/livekit/webhook").start()
        env = {**livekit.app_env(), **extra_env}
    else:  # the app's LiveKit calls go to a closed loopback port
        env = {"LIVEKIT_URL": f"ws://127.0.0.1:{free_port()}", **extra_env}
    try:
        app = BackendProcess(data_dir=workdir, public_port=port, port=port, extra_env=env).start()
    except BaseException:
        if livekit is not None:
            livekit.stop()
        raise
    return Stack(app=app, livekit=livekit, settings=settings_of(app.env),
                 engine=make_engine(app.database_url))


def stop_stack(stack: Stack) -> None:
    stack.app.stop()
    stack.engine.dispose()
    if stack.livekit is not None:
        stack.livekit.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """The backend most fault tests share: SQLite, one worker, in-process presence."""
    running = start_stack(tmp_path_factory.mktemp("faults-app"))
    yield running
    stop_stack(running)
