"""Debian's nginx running the repository's own deploy/ configuration, on loopback.

The files in deploy/ are templates for the nginx image's /etc/nginx/templates step: it runs
`envsubst` over them with every NGINX_* variable (compose.yml sets NGINX_ENVSUBST_FILTER),
writes them under /etc/nginx/conf.d, and its stock nginx.conf includes conf.d/*.conf inside
`http {}`. This module does exactly that with the same `envsubst` program, into a temporary
prefix whose nginx.conf mirrors the image's, and runs nginx as the current user.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NEEDS_HTTP3 = "# nginx >= 1.25"

# The image's /etc/nginx/nginx.conf, with paths that a normal user can write.
MAIN_CONF = """\
{user}worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    keepalive_timeout 65;
    include {prefix}/conf.d/*.conf;
}}
"""


def supports_http3() -> bool:
    result = subprocess.run([NGINX, "-V"], capture_output=True, text=True, check=True)
    return "--with-http_v3_module" in result.stderr


def envsubst(template: str, values: dict[str, str]) -> str:
    """The nginx image's substitution: `envsubst '${A} ${B} …'` over the given names only."""
    shell_format = " ".join(f"${{{name}}}" for name in values)
    result = subprocess.run(["envsubst", shell_format], input=template, capture_output=True,
                            text=True, check=True, env={**values, "PATH": os.environ["PATH"]})
    return result.stdout


def without_http3(conf: str) -> tuple[str, int]:
    """The config without the lines that need nginx's HTTP/3 module; and how many there were."""
    lines = conf.splitlines(keepends=True)
    kept = [line for line in lines
            if NEEDS_HTTP3 not in line or line.lstrip().startswith("#")]
    return "".join(kept), len(lines) - len(kept)


def self_signed_certificate(directory: Path, host: str = "localhost") -> Path:
    """fullchain.pem, privkey.pem and chain.pem for `host` (and 127.0.0.1), like certbot's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    (directory / "fullchain.pem").write_bytes(pem)
    (directory / "chain.pem").write_bytes(pem)
    (directory / "privkey.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (directory / "privkey.pem").chmod(0o600)
    return directory


@dataclasses.dataclass
class Nginx:
    """One of deploy/nginx.conf or deploy/nginx.tls.conf in front of a site and two upstreams."""

    prefix: Path
    site_conf: str                 # "nginx.conf" or "nginx.tls.conf"
    site_root: Path                # the static export
    script_hashes: str             # output of deploy/csp_script_hashes.py
    app_upstream: str              # host:port of the Reflex backend
    livekit_upstream: str          # host:port of LiveKit
    cert_dir: Path | None = None
    # Not "localhost": over https, Reflex's frontend sends the websocket for localhost to the
    # default port, dropping ours.
    host: str = "127.0.0.1"
    http_port: int = dataclasses.field(default_factory=free_port)
    https_port: int = dataclasses.field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def tls(self) -> bool:
        return self.site_conf == "nginx.tls.conf"

    @property
    def origin(self) -> str:
        if self.tls:
            return f"https://{self.host}:{self.https_port}"
        return f"http://{self.host}:{self.http_port}"

    @property
    def livekit_url(self) -> str:
        return self.origin.replace("http", "ws", 1)

    def variables(self) -> dict[str, str]:
        """What compose.yml gives the web service, with test ports and paths."""
        return {
            "NGINX_SERVER_NAME": self.host,
            "NGINX_LISTEN_V4": "127.0.0.1",
            "NGINX_LISTEN_V6": "[::1]",
            "NGINX_HTTP_PORT": str(self.http_port),
            "NGINX_HTTPS_PORT": str(self.https_port),
            "NGINX_PUBLIC_HTTPS_PORT": str(self.https_port),
            "NGINX_PUBLIC_ORIGIN": self.origin,
            "NGINX_LIVEKIT_URL": self.livekit_url,
            "NGINX_APP_UPSTREAM": self.app_upstream,
            "NGINX_LIVEKIT_UPSTREAM": self.livekit_upstream,
            "NGINX_SITE_ROOT": str(self.site_root),
            "NGINX_ACME_ROOT": str(self.prefix / "acme"),
            "NGINX_CERT_DIR": str(self.cert_dir or ""),
            # Never used here (a self-signed certificate names no OCSP responder).
            "NGINX_LOCAL_RESOLVERS": "127.0.0.1",
        }

    def write(self) -> Path:
        """Template the configuration into the prefix; the path of the main nginx.conf."""
        values = self.variables()
        conf_d = self.prefix / "conf.d"
        (conf_d / "distokoloshe").mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        (self.prefix / "acme").mkdir(exist_ok=True)
        site = envsubst((DEPLOY / self.site_conf).read_text(), values)
        self.dropped_http3_lines = 0
        if not supports_http3():
            site, self.dropped_http3_lines = without_http3(site)
        (conf_d / "distokoloshe.conf").write_text(site)
        (conf_d / "distokoloshe" / "site.inc").write_text(
            envsubst((DEPLOY / "nginx.site.conf").read_text(), values))
        (self.prefix / "distokoloshe").mkdir(exist_ok=True)
        (self.prefix / "distokoloshe" / "csp-script-hashes.conf").write_text(self.script_hashes)
        main = self.prefix / "nginx.conf"
        # As root, nginx's workers would drop to `nobody`, who cannot read pytest's 0700 dirs.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        main.write_text(MAIN_CONF.format(prefix=self.prefix, user=user))
        site_inc = (conf_d / "distokoloshe" / "site.inc").read_text()
        leftover = re.findall(r"\$\{?NGINX_\w+", site + site_inc)
        if leftover:
            raise AssertionError(f"placeholders left after templating: {sorted(set(leftover))}")
        return main

    def check(self) -> subprocess.CompletedProcess:
        """`nginx -t` on the templated configuration."""
        main = self.write()
        return subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-c", str(main)],
                              capture_output=True, text=True, timeout=30)

    def start(self, timeout: float = 20.0) -> Nginx:
        main = self.write()
        log = (self.prefix / "nginx.out").open("ab")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(main), "-g", "daemon off;"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.prefix / 'nginx.out').read_text()}"
                                   f"{self.error_log()}")
            try:
                httpx.get(f"http://127.0.0.1:{self.http_port}/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start")

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
