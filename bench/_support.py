"""What the benchmarks share: the build environment, a static file server and statistics.

`prepare_environment()` exports what `./tokoloshe setup` would (Node >= 22.22 from the cache,
npm for Reflex, no telemetry, the cached LiveKit binary), so a benchmark needs only
`.venv/bin/python -m bench.NAME` from the repo root after one `./tokoloshe setup`.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import mimetypes
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))



def _node_ok(node: str | None) -> bool:
    if not node:
        return False
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout.strip().lstrip("v")
        major, minor = (int(part) for part in version.split(".")[:2])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return False
    return major > 22 or (major == 22 and minor >= 22)


def prepare_environment() -> None:
    """The same environment the entry script gives Reflex and the test suite."""
    from tests.support.cache import cache_dir

    venv_bin = Path(sys.executable).parent
    path = os.environ.get("PATH", "")
    if str(venv_bin) not in path.split(os.pathsep):
        path = f"{venv_bin}{os.pathsep}{path}"
    if not _node_ok(shutil.which("node", path=path)):
        cached = sorted(cache_dir().glob("node-*/node_modules/node-*/bin/node"))
        if not cached:
            raise SystemExit("no Node >= 22.22; run ./tokoloshe setup first")
        path = f"{cached[-1].parent}{os.pathsep}{path}"
    os.environ["PATH"] = path
    os.environ["REFLEX_USE_NPM"] = "1"
    os.environ["REFLEX_TELEMETRY_ENABLED"] = "false"
    os.environ["REFLEX_CHECK_LATEST_VERSION"] = "false"
    if not os.environ.get("NPM_CONFIG_REGISTRY"):
        npm = shutil.which("npm", path=path)
        registry = ""
        if npm:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True,
                                          text=True, timeout=30).stdout.strip()
        os.environ["NPM_CONFIG_REGISTRY"] = registry or "https://registry.npmjs.org/"
    if not os.environ.get("LIVEKIT_BIN"):
        from tests.support.livekit_server import livekit_binary

        with contextlib.suppress(RuntimeError):
            os.environ["LIVEKIT_BIN"] = livekit_binary()
    if not Path("/usr/bin/chromium").exists():
        raise SystemExit("no /usr/bin/chromium; run ./tokoloshe setup first")


def warn_if_repo_busy() -> None:
    """Another `reflex run`/`reflex export` in this repo shares `.web/` and the CPU: say so."""
    others = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if int(proc.name) == os.getpid():
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            words = [arg.decode(errors="replace") for arg in argv if arg]
            if (any(Path(w).name == "reflex" for w in words[:2]) or "pytest" in words[:3]) \
                    and Path(os.readlink(proc / "cwd")) == ROOT:
                others.append(f"{proc.name}: {' '.join(words)[:80]}")
    if others:
        print("warning: other processes use this repo (shared .web/ and CPU; numbers may be "
              "noisy, and builds may collide):\n  " + "\n  ".join(others), file=sys.stderr)


# --- a loopback static server that behaves like the nginx config in the README -------------

class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # Browsers drop idle keep-alive connections when a context closes; that is no error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StaticServer:
    """Serves `root` on 127.0.0.1 like nginx with `gzip_static on` and
    `try_files $uri $uri/ $uri.html /__spa-fallback.html`.

    Extra in-memory files can be added with `routes` (path -> (content type, bytes)).
    """

    def __init__(self, root: Path | None = None, *,
                 routes: dict[str, tuple[str, bytes]] | None = None) -> None:
        self.root = root.resolve() if root else None
        self.routes = dict(routes or {})
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, Nagle's algorithm and
            # delayed ACKs add about 40 ms to responses on loopback.
            disable_nagle_algorithm = True

            def log_message(self, *_args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _serve(self, *, head: bool) -> None:
                found = server.resolve(unquote(urlsplit(self.path).path))
                if found is None:
                    self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found", head=head)
                    return
                content_type, body, gz = found
                wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
                if wants_gzip and gz is not None:
                    self._send(HTTPStatus.OK, content_type, gz, head=head, encoding="gzip")
                else:
                    self._send(HTTPStatus.OK, content_type, body, head=head)

            def _send(self, status, content_type, body, *, head, encoding=None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Date", email.utils.formatdate(usegmt=True))
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                    self.send_header("Vary", "Accept-Encoding")
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                        name="static-server")

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def file_for(self, url_path: str) -> Path | None:
        """The file that `try_files` picks for a URL path (None for in-memory routes)."""
        if self.root is None or url_path in self.routes:
            return None
        relative = url_path.lstrip("/")
        candidates = [relative, relative.rstrip("/") + "/index.html", relative + ".html",
                      "__spa-fallback.html"]
        for candidate in candidates:
            path = (self.root / candidate).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return path
        return None

    def resolve(self, url_path: str) -> tuple[str, bytes, bytes | None] | None:
        if url_path in self.routes:
            content_type, body = self.routes[url_path]
            return content_type, body, None
        path = self.file_for(url_path)
        if path is None:
            return None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix in (".js", ".mjs"):
            content_type = "text/javascript"
        sibling = path.with_name(path.name + ".gz")
        gz = sibling.read_bytes() if sibling.is_file() else None
        return content_type, path.read_bytes(), gz

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()


@contextlib.contextmanager
def static_server(root: Path | None = None, **kwargs) -> Iterator[StaticServer]:
    server = StaticServer(root, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


# --- numbers --------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), like numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def gzip9(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def begin_benchmark() -> float:
    """What every benchmark does first: the entry script's environment, a warning when the
    repo is busy, SIGTERM unwinding like Ctrl-C. Returns the start time (monotonic)."""
    started = time.monotonic()
    prepare_environment()
    warn_if_repo_busy()
    stop_cleanly_on_sigterm()
    return started


def app_settings(livekit, app):
    """Settings that mint join tokens and derive room keys as that running app does."""
    from distokoloshe.settings import Settings

    return Settings(_env_file=None, livekit_url=livekit.url, livekit_api_key=livekit.api_key,
                    livekit_api_secret=livekit.api_secret, jwt_secret=app.env["JWT_SECRET"],
                    e2ee_secret=app.env["E2EE_SECRET"])


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every server a benchmark started is stopped."""
    import signal

    def interrupt(*_args) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@contextlib.contextmanager
def livekit_and_app(prefix: str, *, keep: bool):
    """A temporary work dir with a running LiveKit server and an app wired to it (made, not
    started: some benchmarks export or adjust it first). Everything is stopped afterwards,
    and the dir (with the servers' logs) removed unless `keep`. Yields (workdir, livekit, app).
    """
    import tempfile

    from tests.support.app import AppProcess
    from tests.support.livekit_server import LiveKitServer
    from tests.support.ports import free_port

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    for sub in ("livekit", "app"):
        (workdir / sub).mkdir()
    port = free_port()
    livekit = LiveKitServer(workdir=workdir / "livekit",
                            webhook_url=f"http://127.0.0.1:{port}/api/livekit/webhook")
    app = None
    try:
        livekit.start()
        app = AppProcess(data_dir=workdir / "app", public_port=port, port=port,
                         extra_env={**livekit.app_env(), "TRUSTED_PROXY_HOPS": "0"})
        yield workdir, livekit, app
    finally:
        if app is not None:
            app.stop()
        livekit.stop()
        if keep:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def seed_accounts(database_url: str, roles: tuple[str, ...], rooms: dict[str, str]) -> dict:
    """An account per role (ROLE + a random suffix, shown as "Bench ROLE", with the tests'
    password) and the `rooms` ({key: name}, owned by the first role), via domain code.
    Returns {"users": {role: User}, key: Room, ...}, detached from their session."""
    from sqlmodel import Session

    from distokoloshe import accounts
    from distokoloshe import rooms as room_service
    from distokoloshe.db import make_engine
    from tests.support.identities import PASSWORD

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            suffix = secrets.token_hex(3)
            users = {
                role: accounts.register(session=session, username=f"{role}{suffix}",
                                        password=PASSWORD, display_name=f"Bench {role}")
                for role in roles
            }
            session.flush()
            made = {key: room_service.create_room(session=session, user=users[roles[0]],
                                                  name=name)
                    for key, name in rooms.items()}
            session.commit()
            for obj in (*users.values(), *made.values()):
                session.refresh(obj)
                session.expunge(obj)
    finally:
        engine.dispose()
    return {"users": users, **made}


def save_results(name: str, data: dict) -> Path:
    """bench/results/NAME-STAMP.json, for comparing runs later."""
    import datetime
    import json

    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = results_dir / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=1))
    return path
