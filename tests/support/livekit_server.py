"""A real LiveKit server on loopback, started through livekit/entrypoint.sh like
`./tokoloshe up`."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.cache import cache_dir
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def livekit_binary() -> str:
    found = os.environ.get("LIVEKIT_BIN") or shutil.which("livekit-server")
    if not found:
        cached = sorted(cache_dir().glob("livekit-*/livekit-server"))
        found = str(cached[-1]) if cached else ""
    if not found or not Path(found).exists():
        raise RuntimeError("no LiveKit server binary; run ./tokoloshe setup")
    return found


def _free_udp_range(size: int = 40) -> int:
    # LiveKit needs a UDP port range; pick a start that is free for UDP right now.
    import socket

    for _ in range(50):
        start = 40000 + secrets.randbelow(20000)
        try:
            sockets = []
            for port in (start, start + size - 1):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            for sock in sockets:
                sock.close()
            return start
        except OSError:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free UDP range")


@dataclasses.dataclass
class LiveKitServer:
    workdir: Path
    webhook_url: str = "http://127.0.0.1:9/api/livekit/webhook"
    api_key: str = dataclasses.field(default_factory=lambda: "APIlk" + secrets.token_hex(4))
    api_secret: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(36))
    port: int = dataclasses.field(default_factory=free_port)
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)
    process: subprocess.Popen | None = None
    # Where it listens and what it announces for media: loopback, or a test's own veth.
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveKitServer:
        udp_start = _free_udp_range()
        env = {
            **os.environ,
            "LIVEKIT_BIN": livekit_binary(),
            "LIVEKIT_API_KEY": self.api_key,
            "LIVEKIT_API_SECRET": self.api_secret,
            "LIVEKIT_PORT": str(self.port),
            "LIVEKIT_RTC_TCP_PORT": str(free_port()),
            "LIVEKIT_UDP_PORT_START": str(udp_start),
            "LIVEKIT_UDP_PORT_END": str(udp_start + 39),
            "LIVEKIT_WEBHOOK_URL": self.webhook_url,
            "LIVEKIT_RUNTIME_CONFIG": str(self.workdir / "livekit.yaml"),
            "LIVEKIT_DOMAIN": "",
            "LIVEKIT_BIND_ADDRESS": self.host,
            "LIVEKIT_NODE_IP": self.host,
            **self.extra_env,
        }
        self.env = env
        self.log_path = self.workdir / "livekit.log"
        self.process = subprocess.Popen(
            [str(ROOT / "livekit" / "entrypoint.sh")], env=env, cwd=ROOT,
            stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"LiveKit exited; see {self.log_path}")
            try:
                if httpx.get(self.http_url, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"LiveKit did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def kill(self) -> None:
        """The server dies at once, as in a crash. What stop() comes to as well while calls
        are up: LiveKit's SIGTERM waits for every participant to leave, so stop() ends in
        SIGKILL after its ten seconds, the calls untouched until then."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=5)

    def app_env(self) -> dict[str, str]:
        """What the app needs to mint tokens for, and administer, this server."""
        return {"LIVEKIT_URL": self.url, "LIVEKIT_API_KEY": self.api_key,
                "LIVEKIT_API_SECRET": self.api_secret}
