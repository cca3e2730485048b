"""Runs the real app (`reflex run --env prod --single-port`) on loopback, for tests and
benchmarks."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.ports import free_port
from tests.support.servers import wait_until

ROOT = Path(__file__).resolve().parents[2]
REFLEX = Path(sys.executable).with_name("reflex")
LOCK_FILES = (ROOT / "reflex.lock" / "package.json", ROOT / "reflex.lock" / "package-lock.json")


@contextlib.contextmanager
def reflex_lock_kept():
    """A build rewrites reflex.lock/ for the packages its pages need, and the suites' builds
    carry their extensions' (a drop zone, say): afterwards the committed files are back, so
    a test run leaves the working tree as it found it."""
    kept = {path: path.read_bytes() for path in LOCK_FILES if path.exists()}
    try:
        yield
    finally:
        for path, content in kept.items():
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)


def _live_members(group: int) -> list[int]:
    """The processes of process group `group` that still run (zombies not counted: orphans
    are not always reaped here)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@dataclasses.dataclass
class AppProcess:
    data_dir: Path
    public_port: int           # what the browser's origin and the baked-in API URL use
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)
    port: int = dataclasses.field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # A command the server runs under, e.g. ["taskset", "-c", "0"] in benchmarks.
    wrapper: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / "app.log"
        self.database_url = self.extra_env.get("DATABASE_URL",
                                               f"sqlite:///{self.data_dir / 'app.db'}")
        self.env = {
            **os.environ,
            "APP_ENV": "dev",
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "JWT_SECRET": secrets.token_urlsafe(48),
            "E2EE_SECRET": secrets.token_urlsafe(48),
            "LIVEKIT_API_KEY": "APItest" + secrets.token_hex(4),
            "LIVEKIT_API_SECRET": secrets.token_urlsafe(36),
            # The suite reaches the app through a proxy and gives each browser context
            # its own X-Forwarded-For, as nginx does for real clients.
            "TRUSTED_PROXY_HOPS": "1",
            "REFLEX_API_URL": self.public_url,
            "ALLOWED_ORIGINS": self.public_url,
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            **self.extra_env,
        }

    @property
    def public_url(self) -> str:
        return f"http://localhost:{self.public_port}"

    ready_path = "/"
    # Set after the first start: that build's index page and when it was written, so a
    # restart can serve it again instead of building it anew.
    built: tuple[Path, float] | None = None

    def command(self) -> list[str]:
        if self._build_is_ours():
            # the backend alone, serving the build it made (SERVE_FRONTEND_BUILD, as
            # `./tokoloshe up` runs it): a restart is the backend's, not the frontend's
            return [str(REFLEX), "run", "--env", "prod", "--backend-only", "--backend-host",
                    "127.0.0.1", "--backend-port", str(self.port)]
        return [str(REFLEX), "run", "--env", "prod", "--single-port", "--backend-host",
                "127.0.0.1", "--backend-port", str(self.port), "--frontend-port", str(self.port)]

    def _build_is_ours(self) -> bool:
        """Whether the static build is still the one this app's first start made (nothing
        else has built in the tree since)."""
        if self.built is None:
            return False
        index, written = self.built
        return index.is_file() and index.stat().st_mtime == written

    def migrate(self) -> None:
        subprocess.run([sys.executable, "-m", "distokoloshe.db"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)

    def start(self, timeout: float = 240.0) -> AppProcess:
        with reflex_lock_kept():   # the build is done once the app answers
            return self._start(timeout)

    def _start(self, timeout: float) -> AppProcess:
        self.migrate()
        log = self.log_path.open("ab")
        reuse = self._build_is_ours()
        self.process = subprocess.Popen(
            [*self.wrapper, *self.command()],
            cwd=ROOT, env={**self.env, **({"SERVE_FRONTEND_BUILD": "true"} if reuse else {})},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"app exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}{self.ready_path}",
                             timeout=2).status_code == 200:
                    self._remember_build()
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"app did not start in {timeout} s; see {self.log_path}")

    def _remember_build(self) -> None:
        index = ROOT / ".web" / "build" / "client" / "index.html"
        if self.built is None and type(self) is AppProcess and index.is_file():
            self.built = (index, index.stat().st_mtime)

    def stop(self) -> None:
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        # `reflex run` can exit before its server (gunicorn and its workers) has: a server
        # still draining would keep old connections, and its database handles, beside the
        # next start's. Stopped means the whole process group is gone.
        if not wait_until(lambda: not _live_members(group), timeout=15, interval=0.1):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            if not wait_until(lambda: not _live_members(group), timeout=10, interval=0.1):
                raise RuntimeError(f"the app's processes (group {group}) outlived SIGKILL")
        self.process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclasses.dataclass
class BackendProcess(AppProcess):
    """The backend alone, as in production behind nginx, which serves the static export."""

    public_origin: str = ""

    ready_path = "/ping"

    @property
    def public_url(self) -> str:
        return self.public_origin or super().public_url

    def command(self) -> list[str]:
        return [str(REFLEX), "run", "--env", "prod", "--backend-only", "--backend-host",
                "127.0.0.1", "--backend-port", str(self.port)]
