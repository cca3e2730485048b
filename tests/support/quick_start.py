"""`./tokoloshe up` in a copy of the tree, for the quick-start test and the start-time
benchmark: the sources are copied, the venv and the installed frontend packages are linked
in, so the checkout's own build in `.web/` is left alone. LiveKit is not started (serving
the pages does not need it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.extensions import fresh_install_env

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["distokoloshe", "components_js", "assets", "livekit", "rxconfig.py",
           "pyproject.toml", "reflex.lock", "tokoloshe"]
APP_RUNNING = "App running at"


def copy_tree(dest: Path, *, extra: tuple[str, ...] = ()) -> Path:
    """A runnable copy of the checkout at `dest`, without its builds; `extra` names more
    top-level folders to copy (the benchmarks and their test helpers, say)."""
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "external", "results")
    for name in (*SOURCES, *extra):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    web = ROOT / ".web"
    if (web / "node_modules").is_dir():  # otherwise the first start installs its own
        shutil.copytree(web, dest / ".web", symlinks=True,
                        ignore=shutil.ignore_patterns("node_modules", "build"))
        (dest / ".web" / "node_modules").symlink_to(web / "node_modules")
    return dest


class Start:
    """One start of the app in `tree` (by default `./tokoloshe up`), timed from launch to
    this run's "App running" line and to its first 200 on /login."""

    def __init__(self, tree: Path, port: int, command: list[str] | None = None) -> None:
        self.log_path = tree / f"start-{time.monotonic_ns()}.log"
        self.url = f"http://127.0.0.1:{port}"
        env = fresh_install_env(tree, PORT=str(port), LIVEKIT_URL="ws://127.0.0.1:9",
                                REFLEX_TELEMETRY_ENABLED="false")
        env.pop("REFLEX_API_URL", None)
        self.started = time.monotonic()
        self.running_after: float | None = None
        self.page_after: float | None = None
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command or ["./tokoloshe", "up"], cwd=tree,
                                            env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def login_page(self, timeout: float = 300.0) -> httpx.Response:
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the start exited: {self.log()[-3000:]}"
            if self.running_after is None:
                if APP_RUNNING not in self.log():  # only this run's server counts
                    time.sleep(0.05)
                    continue
                self.running_after = time.monotonic() - self.started
            try:
                response = httpx.get(f"{self.url}/login", timeout=5, follow_redirects=True)
                if response.status_code == 200:
                    self.page_after = time.monotonic() - self.started
                    return response
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"no login page in {timeout} s: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        # Its workers may still hold the port for a moment; the next start needs it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)
            except httpx.ConnectError:
                return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.url} still answers after the app stopped")


def start_once(tree: Path, port: int, command: list[str] | None = None
               ) -> tuple[Start, httpx.Response]:
    """Start, wait for the login page, stop; the finished Start holds its log and times."""
    run = Start(tree, port, command)
    try:
        page = run.login_page()
    finally:
        run.stop()
    return run, page
