"""A network namespace joined to this host by a veth pair, so a test can cut one client's
network without touching anyone else's. Its /30 exists only on the two ends of the pair,
so nothing sent to it leaves this machine. Needs CAP_NET_ADMIN (root in CI)."""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import subprocess
from collections.abc import Iterator


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def available() -> bool:
    probe = "dtkprobe" + secrets.token_hex(3)
    try:
        _ip("netns", "add", probe)
    except (OSError, subprocess.SubprocessError):
        return False
    with contextlib.suppress(subprocess.SubprocessError):
        _ip("netns", "del", probe)
    return True


@dataclasses.dataclass(frozen=True)
class ClientNamespace:
    name: str
    host_link: str
    host_ip: str
    client_ip: str

    def command(self, *argv: str) -> list[str]:
        """argv run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self) -> None:
        _ip("link", "set", self.host_link, "down")

    def restore(self) -> None:
        _ip("link", "set", self.host_link, "up")


@contextlib.contextmanager
def client_namespace(subnet: int = 231) -> Iterator[ClientNamespace]:
    tag = secrets.token_hex(3)
    ns = ClientNamespace(name=f"dtk{tag}", host_link=f"dtkh{tag}",
                         host_ip=f"10.{subnet}.0.1", client_ip=f"10.{subnet}.0.2")
    inner = f"dtkc{tag}"
    _ip("netns", "add", ns.name)
    try:
        _ip("link", "add", ns.host_link, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", ns.name)
        _ip("addr", "add", f"{ns.host_ip}/30", "dev", ns.host_link)
        _ip("link", "set", ns.host_link, "up")
        _ip("-n", ns.name, "addr", "add", f"{ns.client_ip}/30", "dev", inner)
        _ip("-n", ns.name, "link", "set", inner, "up")
        _ip("-n", ns.name, "link", "set", "lo", "up")
        yield ns
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            _ip("link", "del", ns.host_link)
        with contextlib.suppress(subprocess.SubprocessError):
            _ip("netns", "del", ns.name)
