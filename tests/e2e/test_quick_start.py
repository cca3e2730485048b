"""`./tokoloshe up` builds the frontend only when something that feeds it changed, serves
that build from the backend with the edge's security headers, and a changed page shows up
on the next start.

It runs in a copy of the tree (the sources, with the suite's venv and installed frontend
packages linked in), so the suite's own build in `.web/` is left alone. LiveKit is not
started: serving the pages does not need it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["distokoloshe", "components_js", "assets", "livekit", "rxconfig.py",
           "pyproject.toml", "reflex.lock", "tokoloshe"]
BUILT = "building the frontend"
UP_TO_DATE = "the frontend is up to date"
LOGIN_LINE = "No account yet? "


@pytest.fixture
def tree(tmp_path, app) -> Path:  # `app` has installed the frontend packages in .web/
    copy = tmp_path / "tree"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "external")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        else:
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    shutil.copytree(ROOT / ".web", copy / ".web", symlinks=True,
                    ignore=shutil.ignore_patterns("node_modules", "build"))
    (copy / ".web" / "node_modules").symlink_to(ROOT / ".web" / "node_modules")
    return copy


class Up:
    """One run of `./tokoloshe up` in `tree`, until its login page answers."""

    def __init__(self, tree: Path, port: int) -> None:
        self.log_path = tree / f"up-{time.monotonic_ns()}.log"
        env = {**os.environ, "PORT": str(port), "PYTHONPATH": str(tree),
               "LIVEKIT_URL": "ws://127.0.0.1:9", "REFLEX_TELEMETRY_ENABLED": "false"}
        env.pop("REFLEX_API_URL", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(["./tokoloshe", "up"], cwd=tree, env=env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"

    def login_page(self, timeout: float = 300.0) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"up exited: {self.log()[-3000:]}"
            if "App running at" not in self.log():  # only this run's server counts
                time.sleep(0.5)
                continue
            try:
                response = httpx.get(f"{self.url}/login", timeout=5, follow_redirects=True)
                if response.status_code == 200:
                    return response
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
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
        # Its workers may still hold the port for a moment; the next run needs it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)
            except httpx.ConnectError:
                return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.url} still answers after `up` stopped")


def start(tree: Path, port: int) -> tuple[str, httpx.Response]:
    up = Up(tree, port)
    try:
        page = up.login_page()
    finally:
        up.stop()
    return up.log(), page


def test_up_builds_only_what_changed_and_serves_the_change(tree):
    port = free_port()
    first_log, first = start(tree, port)
    assert BUILT in first_log  # a tree that was never built here
    assert LOGIN_LINE in first.text
    # nginx's part at the edge, done by the backend that serves the build
    assert "frame-ancestors 'none'" in first.headers.get("content-security-policy", "")
    assert first.headers.get("x-content-type-options") == "nosniff"

    again_log, again = start(tree, port)
    assert UP_TO_DATE in again_log and BUILT not in again_log
    assert LOGIN_LINE in again.text

    login = tree / "distokoloshe" / "pages" / "login.py"
    login.write_text(login.read_text().replace(LOGIN_LINE, "New here? "))
    changed_log, changed = start(tree, port)
    assert BUILT in changed_log
    assert "New here? " in changed.text and LOGIN_LINE not in changed.text
