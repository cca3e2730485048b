"""The deployment files checked by the programs that will read them: compose.yml by
compose-go (Docker Compose's loader), nginx configs by nginx, LiveKit's generated config by
LiveKit's own loader, shell scripts by shellcheck. No Docker engine is needed.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from distokoloshe import invites
from distokoloshe.settings import Settings
from tests.support.gotools import go_tool
from tests.support.nginx import NEEDS_HTTP3, Nginx, self_signed_certificate, supports_http3

ROOT = Path(__file__).resolve().parents[2]
SHELL_SCRIPTS = [*sorted((ROOT / "deploy").glob("*.sh")), ROOT / "livekit" / "entrypoint.sh",
                 ROOT / "tokoloshe"]


def _init(directory: Path, *args: str) -> subprocess.CompletedProcess:
    """deploy/init.sh in a scratch copy, with no Python on PATH (it must not need one)."""
    (directory / "deploy").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "deploy" / "init.sh", directory / "deploy" / "init.sh")
    return subprocess.run(["/bin/sh", str(directory / "deploy" / "init.sh"), *args],
                          capture_output=True, text=True, timeout=30, check=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(directory)})


def _env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if line and not line.startswith("#"))


def _compose(env_file: Path) -> dict:
    """The project Docker Compose would run with this .env (its COMPOSE_PROFILES included)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPOSE_")}
    profiles = _env_file(env_file).get("COMPOSE_PROFILES", "")
    args = [arg for profile in profiles.split(",") if profile for arg in ("-profile", profile)]
    result = subprocess.run([str(go_tool("composecheck")), "-f", str(ROOT / "compose.yml"),
                             "-env-file", str(env_file), *args],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.lower() in Settings.model_fields:
            monkeypatch.delenv(key)


def test_init_writes_production_secrets_once(tmp_path, clean_env):
    first = _init(tmp_path, "voice.example.org", "ops@example.org")
    env_file = tmp_path / ".env"
    assert "wrote .env" in first.stdout
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = _env_file(env_file)
    settings = Settings(_env_file=env_file)  # APP_ENV=prod refuses weak or missing secrets
    assert settings.app_env == "prod"
    assert settings.livekit_url == "wss://voice.example.org"
    assert values["PUBLIC_URL"] == values["ALLOWED_ORIGINS"] == "https://voice.example.org"
    assert values["COMPOSE_PROFILES"] == "production"
    secrets = [values[name] for name in ("JWT_SECRET", "E2EE_SECRET", "LIVEKIT_API_SECRET")]
    assert len(set(secrets)) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", s) for s in secrets)
    for directory in ("app", "certs", "acme"):
        assert (tmp_path / "data" / directory).is_dir()
    # An invite-only server, whose first admin registers with the link it printed; .env holds
    # only the hash of that link's code, and the link works for two days.
    assert settings.registration == "invite"
    [code] = re.findall(r"https://voice\.example\.org/register\?invite=([0-9a-f]{48})\n",
                        first.stdout)
    assert settings.first_admin_invite == invites.code_hash(code)
    assert code not in env_file.read_text()
    assert 47 * 3600 < settings.first_admin_invite_until - time.time() <= 48 * 3600

    before = env_file.read_bytes()
    again = _init(tmp_path, "other.example.org")
    assert "kept existing .env" in again.stdout and "invite=" not in again.stdout
    assert env_file.read_bytes() == before


def test_init_rejects_what_is_not_a_domain(tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        _init(tmp_path, "voice.example.org;rm -rf ~")
    assert not (tmp_path / ".env").exists()


def test_compose_production_stack(tmp_path):
    _init(tmp_path, "voice.example.org", "ops@example.org")
    project = _compose(tmp_path / ".env")
    services = project["services"]
    assert sorted(services) == ["app", "certbot", "livekit", "web"]
    for name in ("web", "app", "livekit"):
        assert services[name]["network_mode"] == "host", name
        assert not services[name].get("ports"), name
    for name in ("app", "livekit", "certbot"):
        assert services[name]["user"].split(":")[0] not in ("", "0", "root"), name
    web = services["web"]
    assert web["build"]["args"]["REFLEX_API_URL"] == "https://voice.example.org"
    assert web["environment"]["NGINX_ENVSUBST_FILTER"] == "^NGINX_"
    templates = {volume["target"]: volume["source"] for volume in web["volumes"]}
    assert templates["/etc/nginx/templates/distokoloshe.conf.template"].endswith(
        "deploy/nginx.tls.conf")
    # Every NGINX_* placeholder in the templates has a value (NGINX_LOCAL_RESOLVERS comes
    # from the image's entrypoint, switched on by NGINX_ENTRYPOINT_LOCAL_RESOLVERS).
    placeholders = set(re.findall(r"\$\{(NGINX_\w+)\}", "".join(
        (ROOT / "deploy" / name).read_text()
        for name in ("nginx.conf", "nginx.tls.conf", "nginx.site.conf"))))
    given = set(web["environment"]) | {"NGINX_LOCAL_RESOLVERS"}
    assert placeholders <= given, placeholders - given
    assert web["environment"]["NGINX_ENTRYPOINT_LOCAL_RESOLVERS"] == "1"
    app = services["app"]["environment"]
    assert app["APP_ENV"] == "prod" and app["TRUSTED_PROXY_HOPS"] == "1"
    assert app["DATABASE_URL"] == "" and app["REFLEX_REDIS_URL"] == ""
    assert app["LIVEKIT_URL"] == "wss://voice.example.org"
    assert app["MAX_CONNECTIONS"] == "500" and app["MAX_CONNECTIONS_PER_USER"] == "3"
    # Only the services that need a secret get it.
    assert "JWT_SECRET" not in web["environment"]
    assert set(services["livekit"]["environment"]) >= {"LIVEKIT_API_KEY", "LIVEKIT_DOMAIN"}
    assert "JWT_SECRET" not in services["livekit"]["environment"]
    assert "production" in services["certbot"]["profiles"]
    for service in services.values():
        build = service.get("build")
        if build:
            assert (ROOT / build["dockerfile"]).exists()


def test_compose_scaled_stack(tmp_path):
    _init(tmp_path, "voice.example.org", "--scale")
    values = _env_file(tmp_path / ".env")
    assert values["COMPOSE_PROFILES"] == "production,scale"
    services = _compose(tmp_path / ".env")["services"]
    assert sorted(services) == ["app", "certbot", "livekit", "postgres", "redis", "web"]
    app = services["app"]["environment"]
    assert app["REFLEX_REDIS_URL"].startswith("redis://:")
    assert "@127.0.0.1:6379" in app["REFLEX_REDIS_URL"]
    assert app["DATABASE_URL"].startswith("postgresql+psycopg2://distokoloshe:")
    assert services["livekit"]["environment"]["LIVEKIT_REDIS_ADDRESS"] == "127.0.0.1:6379"
    assert services["livekit"]["environment"]["LIVEKIT_REDIS_PASSWORD"] == values["REDIS_PASSWORD"]
    assert "listen_addresses=127.0.0.1" in services["postgres"]["command"]
    assert "--bind 127.0.0.1" in " ".join(services["redis"]["command"])
    assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_compose_on_localhost_is_plain_http(tmp_path):
    _init(tmp_path, "localhost")
    services = _compose(tmp_path / ".env")["services"]
    assert sorted(services) == ["app", "livekit", "web"]
    templates = {volume["target"]: volume["source"] for volume in services["web"]["volumes"]}
    assert templates["/etc/nginx/templates/distokoloshe.conf.template"].endswith(
        "deploy/nginx.conf")
    assert services["app"]["environment"]["LIVEKIT_URL"] == "ws://localhost"


def test_dockerfiles_copy_only_what_exists_and_ignore_secrets():
    for dockerfile in sorted((ROOT / "deploy").glob("Dockerfile.*")):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY") and "--from=" not in line:
                sources = [part for part in line.split()[1:-1] if not part.startswith("--")]
                for source in sources:
                    assert (ROOT / source).exists(), f"{dockerfile.name}: {source}"
    ignored = (ROOT / ".dockerignore").read_text().split()
    for secret in (".env", "data", ".venv", ".git"):
        assert secret in ignored


def test_shell_scripts_pass_shellcheck():
    for script in SHELL_SCRIPTS:
        shell = "bash" if script.read_text().startswith("#!/usr/bin/env bash") else "sh"
        subprocess.run([shell, "-n", str(script)], check=True)
        assert os.access(script, os.X_OK), f"{script} is not executable"
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing; ./tokoloshe test installs it"
    result = subprocess.run([shellcheck, *map(str, SHELL_SCRIPTS)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("site_conf", ["nginx.conf", "nginx.tls.conf"])
def test_nginx_accepts_both_configs(tmp_path, site_conf):
    nginx = Nginx(prefix=tmp_path / "nginx", site_conf=site_conf, site_root=tmp_path,
                  script_hashes="set $distokoloshe_script_hashes \"'sha256-AAAA'\";\n",
                  app_upstream="127.0.0.1:9", livekit_upstream="127.0.0.1:9",
                  cert_dir=self_signed_certificate(tmp_path / "certs"))
    result = nginx.check()
    assert result.returncode == 0, result.stderr
    marked = sum(NEEDS_HTTP3 in line for line in (ROOT / "deploy" / site_conf).read_text()
                 .splitlines() if not line.lstrip().startswith("#"))
    assert nginx.dropped_http3_lines == (0 if supports_http3() else marked)
    if site_conf == "nginx.tls.conf":
        assert marked == 6  # quic listeners (2), http2, http3, quic_retry, Alt-Svc


class _EchoHeaders(http.server.BaseHTTPRequestHandler):
    """An upstream that answers with the request line and headers it received, as JSON."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def _echo_upstream():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_plain_http_site_headers_and_what_reaches_the_upstreams(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>t</title>")
    with _echo_upstream() as app, _echo_upstream() as livekit:
        nginx = Nginx(prefix=tmp_path / "nginx", site_conf="nginx.conf", site_root=site,
                      script_hashes="set $distokoloshe_script_hashes \"'sha256-AAAA'\";\n",
                      app_upstream=app, livekit_upstream=livekit).start()
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade",
                   "X-Forwarded-For": "198.51.100.9"}  # a client's claim, to be dropped
        try:
            with httpx.Client(base_url=nginx.origin, timeout=10) as client:
                page = client.get("/")
                foreign = client.get("/_event/?EIO=4&transport=websocket",
                                     headers={**upgrade, "Origin": "http://evil.example"})
                event = client.get("/_event/?EIO=4&transport=websocket",
                                   headers={**upgrade, "Origin": nginx.origin}).json()
                rtc = client.get("/rtc/v1?access_token=t", headers=upgrade).json()
                api = client.post("/api/livekit/webhook", content=b"{}",
                                  headers={"X-Forwarded-For": "198.51.100.9"}).json()
        finally:
            nginx.stop()
    assert page.status_code == 200
    assert "strict-transport-security" not in page.headers
    csp = page.headers["content-security-policy"]
    assert f"connect-src 'self' ws://{nginx.host}:{nginx.http_port};" in csp
    assert "script-src 'self' 'wasm-unsafe-eval' 'sha256-AAAA';" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert foreign.status_code == 403
    for seen in (event, rtc, api):
        assert seen["x-forwarded-for"] == "127.0.0.1", seen
        assert seen["x-forwarded-proto"] == "http"
        assert seen["host"] == nginx.host
    for seen in (event, rtc):
        assert seen["upgrade"] == "websocket" and seen["connection"] == "upgrade", seen
    assert rtc["path"] == "/rtc/v1?access_token=t"
    assert api["connection"] == "close" and "upgrade" not in api


def _livekit_config(tmp_path: Path, **env: str) -> tuple[str, Path]:
    """Runs livekit/entrypoint.sh with a stand-in server binary; its output and config."""
    config = tmp_path / "livekit.yaml"
    result = subprocess.run(
        ["/bin/sh", str(ROOT / "livekit" / "entrypoint.sh")],
        env={"PATH": os.environ["PATH"], "LIVEKIT_BIN": "/bin/true",
             "LIVEKIT_RUNTIME_CONFIG": str(config), "LIVEKIT_API_KEY": "APIdeploytest",
             "LIVEKIT_API_SECRET": "s" * 48, "LIVEKIT_CERT_CHECK_SECONDS": "1", **env},
        capture_output=True, text=True, timeout=30, check=True)
    return result.stderr, config


def _load_livekit_config(config: Path, *addresses: str) -> dict:
    # The loader looks up the public IP over STUN when use_external_ip is on; never here.
    assert "use_external_ip: true" not in config.read_text()
    result = subprocess.run([str(go_tool("livekitconfig")), str(config), *addresses],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


INTERNAL = ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.254",
            "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
            "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "64:ff9b::a00:1"]
PUBLIC = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2001:4860:4860::8888"]


def test_livekit_prod_config_relays_only_to_public_addresses(tmp_path):
    self_signed_certificate(tmp_path / "certs" / "live" / "voice.example.org")
    log, config = _livekit_config(
        tmp_path, LIVEKIT_DOMAIN="voice.example.org", LIVEKIT_CERT_DIR=str(tmp_path / "certs"),
        LIVEKIT_NODE_IP="203.0.113.7", LIVEKIT_REDIS_ADDRESS="127.0.0.1:6379",
        LIVEKIT_REDIS_PASSWORD="r" * 40)
    assert "prod mode" in log
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    loaded = _load_livekit_config(config, *INTERNAL, *PUBLIC)
    turn = loaded["turn"]
    assert turn["Enabled"] and loaded["turn_tls"]
    assert (turn["UDPPort"], turn["TLSPort"]) == (3478, 5349)
    assert turn["AllowRestrictedPeerCIDRs"] in (None, [])
    assert loaded["bind_addresses"] == ["127.0.0.1"]  # signalling only through nginx
    assert loaded["redis_address"] == "127.0.0.1:6379"
    assert {address for address, denied in loaded["denied"].items() if denied} == set(INTERNAL)


def test_livekit_dev_config_stays_on_loopback(tmp_path):
    log, config = _livekit_config(tmp_path, LIVEKIT_DOMAIN="")
    assert "dev mode" in log
    loaded = _load_livekit_config(config)
    assert not loaded["turn"]["Enabled"]
    assert loaded["bind_addresses"] == ["127.0.0.1"]
    assert loaded["node_ip"]["V4"] == "127.0.0.1"


@pytest.mark.parametrize("dry_run", [False, True])
def test_init_certs_drives_nginx_and_certbot_through_compose(tmp_path, dry_run):
    _init(tmp_path, "voice.example.org", "ops@example.org")
    shutil.copy2(ROOT / "deploy" / "init-certs.sh", tmp_path / "deploy" / "init-certs.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "docker-calls"
    # A stand-in `docker` that records how it was called (and with which nginx config).
    (bin_dir / "docker").write_text(
        f'#!/bin/sh\necho "NGINX_CONFIG=${{NGINX_CONFIG:-}} $*" >> {calls}\n')
    (bin_dir / "docker").chmod(0o755)
    result = subprocess.run(
        ["/bin/sh", str(tmp_path / "deploy" / "init-certs.sh"),
         *(["--dry-run"] if dry_run else [])],
        capture_output=True, text=True, timeout=30,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    up, certbot, stop = calls.read_text().splitlines()
    assert up == "NGINX_CONFIG=nginx.conf compose up --detach --build web"
    assert certbot.startswith("NGINX_CONFIG= compose run --rm --build --entrypoint certbot "
                              "certbot certonly --webroot --webroot-path /var/www/acme "
                              "--domain voice.example.org ")
    assert "--email ops@example.org --no-eff-email" in certbot
    assert certbot.endswith(" --dry-run") == dry_run
    assert stop == "NGINX_CONFIG=nginx.conf compose stop web"


def _fake_livekit(tmp_path: Path) -> Path:
    """A stand-in server that reports the stop signal it gets. These two tests are about the
    entrypoint's supervision in prod mode (forwarding stop signals, restarting on renewal);
    a real server in prod mode would serve TURN and announce a public address on this
    host's interfaces, which a test here must not do. The real server's prod config is
    loaded by LiveKit's own loader in test_livekit_prod_config_relays_only_to_public_addresses."""
    server = tmp_path / "fake-livekit"
    server.write_text("#!/bin/sh\ntrap 'echo \"server stopped\" >&2; exit 0' TERM\n"
                      "while :; do sleep 0.1; done\n")
    server.chmod(0o755)
    return server


def _start_prod_entrypoint(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    certs = self_signed_certificate(tmp_path / "certs" / "live" / "voice.example.org")
    process = subprocess.Popen(
        ["/bin/sh", str(ROOT / "livekit" / "entrypoint.sh")],
        env={"PATH": os.environ["PATH"], "LIVEKIT_BIN": str(_fake_livekit(tmp_path)),
             "LIVEKIT_RUNTIME_CONFIG": str(tmp_path / "livekit.yaml"),
             "LIVEKIT_API_KEY": "APIdeploytest", "LIVEKIT_API_SECRET": "s" * 48,
             "LIVEKIT_DOMAIN": "voice.example.org", "LIVEKIT_CERT_DIR": str(tmp_path / "certs"),
             "LIVEKIT_NODE_IP": "203.0.113.7", "LIVEKIT_CERT_CHECK_SECONDS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, certs / "fullchain.pem"


def test_livekit_restarts_when_the_certificate_is_renewed(tmp_path):
    process, certificate = _start_prod_entrypoint(tmp_path)
    try:
        time.sleep(1.5)
        assert process.poll() is None
        self_signed_certificate(certificate.parent)  # what a renewal does
        _, log = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "certificate renewed; restarting" in log and "server stopped" in log


def test_livekit_prod_passes_stop_signals_on(tmp_path):
    process, _ = _start_prod_entrypoint(tmp_path)
    try:
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=15)
    finally:
        process.kill()
    assert "server stopped" in log and "renewed" not in log
