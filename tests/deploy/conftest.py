"""The production shape on loopback: the static export and the prod backend behind Debian's
nginx running deploy/nginx.tls.conf (or nginx.conf), with a real LiveKit behind /rtc.

Everything here is module-scoped: each test module that needs the stack builds it and
takes it down before the next module (and before tests/e2e rebuilds .web for itself).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import servers
from tests.support.app import BackendProcess, reflex_lock_kept
from tests.support.cache import cache_dir
from tests.support.livekit_server import LiveKitServer
from tests.support.nginx import NGINX, Nginx, self_signed_certificate
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
REFLEX = Path(sys.executable).with_name("reflex")
NODE_VERSION = "22.23.3"  # as in ./tokoloshe


def _node_ok(node: str | None) -> bool:
    if not node:
        return False
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    major, minor = (int(part) for part in version.lstrip("v").split(".")[:2])
    return (major, minor) >= (22, 22)


def reflex_build_env(**extra: str) -> dict[str, str]:
    """The environment ./tokoloshe gives Reflex for a frontend build (Node >= 22.22, npm)."""
    env = {**os.environ, "REFLEX_USE_NPM": "1", "REFLEX_TELEMETRY_ENABLED": "false",
           "REFLEX_CHECK_LATEST_VERSION": "false", **extra}
    if not _node_ok(shutil.which("node", path=env.get("PATH"))):
        cached = cache_dir() / f"node-{NODE_VERSION}" / "node_modules"
        found = sorted(cached.glob("node-*/bin/node"))
        if not found:
            pytest.fail("no Node >= 22.22; run ./tokoloshe setup")
        env["PATH"] = f"{found[0].parent}{os.pathsep}{env['PATH']}"
    if not env.get("NPM_CONFIG_REGISTRY"):
        env["NPM_CONFIG_REGISTRY"] = subprocess.run(
            ["npm", "config", "get", "registry"], capture_output=True, text=True, env=env,
            timeout=60).stdout.strip()
    return env


# The first export for each public origin: the stacks share one origin (edge_ports), so the
# second stack copies the first one's export instead of building the same site again.
_exports: dict[str, Path] = {}


@functools.cache
def edge_ports() -> tuple[int, int]:
    """(http, https) ports of nginx for every stack of the session."""
    return free_port(), free_port()


def export_site(public_origin: str, destination: Path) -> Path:
    """`reflex export --frontend-only --no-zip` for `public_origin`, copied to `destination`."""
    earlier = _exports.get(public_origin)
    if earlier is not None and earlier.is_dir():
        shutil.copytree(earlier, destination)
        return destination
    with reflex_lock_kept():
        result = subprocess.run([str(REFLEX), "export", "--frontend-only", "--no-zip"],
                                cwd=ROOT, env=reflex_build_env(REFLEX_API_URL=public_origin),
                                capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"reflex export failed:\n{(result.stdout + result.stderr)[-3000:]}")
    shutil.copytree(ROOT / ".web" / "build" / "client", destination)
    _exports[public_origin] = destination
    return destination


def script_hashes(site: Path) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "csp_script_hashes.py"),
                             str(site)], capture_output=True, text=True, check=True)
    return result.stdout


def _stack(work: Path, *, backend_env: dict[str, str] | None = None,
           livekit_env: dict[str, str] | None = None):
    """nginx (TLS) -> prod backend and LiveKit. Yields (nginx, backend, livekit)."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing; ./tokoloshe test installs it")
    nginx = Nginx(prefix=work / "nginx", site_conf="nginx.tls.conf", site_root=work / "site",
                  script_hashes="", app_upstream="", livekit_upstream="",
                  cert_dir=self_signed_certificate(work / "certs"),
                  http_port=edge_ports()[0], https_port=edge_ports()[1])
    export_site(nginx.origin, nginx.site_root)
    nginx.script_hashes = script_hashes(nginx.site_root)

    (work / "app").mkdir()
    backend = BackendProcess(data_dir=work / "app", public_port=0,
                             public_origin=nginx.origin)
    livekit = LiveKitServer(workdir=work, extra_env=livekit_env or {},
                            webhook_url=f"http://127.0.0.1:{backend.port}/api/livekit/webhook")
    backend.env.update({
        "APP_ENV": "prod",
        # Browsers reach LiveKit through nginx; the backend calls it directly.
        "LIVEKIT_URL": nginx.livekit_url,
        "LIVEKIT_API_URL": livekit.http_url,
        "LIVEKIT_API_KEY": livekit.api_key,
        "LIVEKIT_API_SECRET": livekit.api_secret,
        **(backend_env or {}),
    })
    backend.database_url = backend.env["DATABASE_URL"]
    nginx.app_upstream = f"127.0.0.1:{backend.port}"
    nginx.livekit_upstream = f"127.0.0.1:{livekit.port}"
    started = []
    try:
        for server in (livekit, backend, nginx):
            server.start()
            started.append(server)
        yield nginx, backend, livekit
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory):
    """The default deployment: one worker, SQLite."""
    yield from _stack(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="module")
def scaled_tls_stack(tmp_path_factory):
    """The `scale` profile: two workers on Redis and PostgreSQL, LiveKit on Redis."""
    with servers.redis_server() as redis_url, servers.postgres_database() as database_url:
        yield from _stack(
            tmp_path_factory.mktemp("scaled"),
            backend_env={"REFLEX_REDIS_URL": redis_url, "DATABASE_URL": database_url,
                         "WEB_CONCURRENCY": "2"},
            livekit_env={"LIVEKIT_REDIS_ADDRESS": redis_url.removeprefix("redis://")
                         .rsplit("/", 1)[0]})
