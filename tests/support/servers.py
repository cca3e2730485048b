"""Real, throwaway PostgreSQL and Redis servers on 127.0.0.1 for tests and benchmarks.

Plain context managers, no pytest here, so benchmarks and e2e suites can reuse them:

    with postgres_cluster() as cluster:          # initdb + pg_ctl in a temp dir
        url = cluster.create_database("app")     # postgresql+psycopg2://postgres@127.0.0.1:PORT/app
        ...
    with postgres_database() as url:             # one cluster with one database
        ...
    with redis_server() as url:                  # redis://127.0.0.1:PORT/0
        ...

Every server listens on 127.0.0.1 only, on a free port, keeps its files in a fresh temp dir,
and is stopped (then its dir deleted) when the block exits, also on errors. Every wait is
bounded. PostgreSQL refuses to run as root, so when this runs as root the server binaries
run as the `postgres` OS user through `runuser`; clients (psql) run as the current user.

Environment overrides: PG_BINDIR (directory holding initdb/pg_ctl/psql), PG_OS_USER (the OS
user that runs the server when we are root, default "postgres"), REDIS_SERVER (path of the
redis-server binary).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.ports import free_port

DEFAULT_TIMEOUT = 20.0
_START_ATTEMPTS = 3  # a free port can be taken between choosing it and binding it
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ServerUnavailableError(RuntimeError):
    """The server binaries (or the OS user to run them) are not on this machine."""


class ServerStartError(RuntimeError):
    """The server did not come up in time; the message carries the end of its log."""


# --------------------------------------------------------------------------- helpers


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Poll `check` until it returns True or `timeout` seconds pass. True if it succeeded."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:  # noqa: BLE001 - "not ready yet" can look like anything
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by whoever its parent is) is not running.
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    return True


@contextlib.contextmanager
def cleanup_if_we_die(shell_cleanup: str) -> Iterator[None]:
    """Run `shell_cleanup` (sh syntax) if this process dies inside the block without cleaning up.

    Finally blocks do not run on SIGKILL or an unhandled SIGTERM (a CI timeout, say), and a
    daemonized server would outlive us. A small detached shell polls our pid once a second
    and cleans up after us; on a normal exit it is simply stopped.
    """
    script = f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; {shell_cleanup}"
    watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        watchdog.kill()
        watchdog.wait(timeout=10)


# --------------------------------------------------------------------------- PostgreSQL


def find_postgres_bindir() -> Path:
    """The directory holding initdb, pg_ctl and psql, or ServerUnavailableError."""
    needed = ("initdb", "pg_ctl", "postgres", "psql")

    def complete(directory: str | os.PathLike[str]) -> bool:
        return all(os.access(Path(directory) / name, os.X_OK) for name in needed)

    override = os.environ.get("PG_BINDIR")
    if override:
        if complete(override):
            return Path(override)
        raise ServerUnavailableError(f"PG_BINDIR={override} does not contain {', '.join(needed)}.")
    candidates: list[str] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(out)

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/(\d+)(?:\.(\d+))?/", path + "/")
        return tuple(int(part) for part in match.groups() if part) if match else (0,)

    # Debian/Ubuntu keep the server binaries off PATH; prefer the newest major version.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    candidates += ["/usr/local/pgsql/bin", "/usr/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"]
    for directory in candidates:
        if directory and complete(directory):
            return Path(directory)
    raise ServerUnavailableError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) were not found. Install "
        "them (Debian/Ubuntu: apt-get install postgresql) or set PG_BINDIR to their directory."
    )


def _server_user_prefix() -> tuple[list[str], str | None]:
    """The argv prefix that runs server binaries as a non-root user, and that user's name."""
    if os.geteuid() != 0:
        return [], None
    user = os.environ.get("PG_OS_USER", "postgres")
    runuser = shutil.which("runuser") or ("/usr/sbin/runuser" if os.path.exists("/usr/sbin/runuser")
                                          else None)
    if runuser is None:
        raise ServerUnavailableError("Running as root, but `runuser` is missing; PostgreSQL cannot "
                                "run as root. Run the tests as a normal user.")
    try:
        import pwd

        pwd.getpwnam(user)
    except KeyError as error:
        raise ServerUnavailableError(
            f"Running as root, but there is no OS user {user!r} to run PostgreSQL as "
            "(set PG_OS_USER, or run the tests as a normal user)."
        ) from error
    return [runuser, "-u", user, "--"], user


def _client_env() -> dict[str, str]:
    """The environment for psql: none of the caller's PG* settings leak in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "5"
    return env


@dataclasses.dataclass
class PostgresCluster:
    """A running throwaway cluster. Trust auth, superuser `postgres`, 127.0.0.1 only."""

    bindir: Path
    root: Path
    port: int
    host: str = "127.0.0.1"
    superuser: str = "postgres"
    timeout: float = DEFAULT_TIMEOUT

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database of this cluster."""
        return f"postgresql+psycopg2://{self.superuser}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        """Run SQL through psql (as the current OS user, over TCP); its output, or an error."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", self.host, "-p", str(self.port), "-U", self.superuser, "-d", database,
             "-c", sql],
            capture_output=True, text=True, timeout=self.timeout, env=_client_env(),
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}) on {sql!r}: "
                               f"{result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str) -> str:
        """Create an empty database; its SQLAlchemy URL."""
        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"database name {name!r} must match {_DB_NAME.pattern}")
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still connected to it."""
        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"database name {name!r} must match {_DB_NAME.pattern}")
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_logged(argv: list[str], log: Path, *, timeout: float,
                env: dict[str, str] | None = None) -> int:
    # Output goes to a file, never a pipe: a daemonized postmaster must not hold our pipe open.
    with log.open("ab") as out:
        try:
            return subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout, env=env).returncode
        except subprocess.TimeoutExpired:
            return -1


def _stop_postgres(cluster: PostgresCluster, prefix: list[str]) -> None:
    pidfile = cluster.datadir / "postmaster.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        pid = None
    ctl_log = cluster.root / "pg_ctl.log"
    code = _run_logged([*prefix, str(cluster.bindir / "pg_ctl"), "-D", str(cluster.datadir),
                        "-m", "fast", "-w", "-t", str(int(cluster.timeout)), "stop"],
                       ctl_log, timeout=cluster.timeout + 5)
    if code == 0 or pid is None or not _pid_alive(pid):
        return
    # pg_ctl could not stop it in time: immediate shutdown, then the hard way.
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
        if wait_until(lambda: not _pid_alive(pid), timeout=5):
            return


@contextlib.contextmanager
def postgres_cluster(*, timeout: float = DEFAULT_TIMEOUT) -> Iterator[PostgresCluster]:
    """Start a fresh PostgreSQL cluster in a temp dir; stop it and delete the dir on exit."""
    bindir = find_postgres_bindir()
    prefix, os_user = _server_user_prefix()
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    stop_argv = [*prefix, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m",
                 "immediate", "stop"]
    try:
        with cleanup_if_we_die(f"{shlex.join(stop_argv)} >/dev/null 2>&1; "
                               f"rm -rf {shlex.quote(str(root))}"):
            (root / "sock").mkdir()
            if os_user is not None:
                shutil.chown(root, os_user, os_user)
                shutil.chown(root / "sock", os_user, os_user)
            init_log = root / "initdb.log"
            code = _run_logged(
                [*prefix, str(bindir / "initdb"), "-D", str(root / "data"), "-U", "postgres",
                 "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
                init_log, timeout=max(timeout, 60.0),
            )
            if code != 0:
                raise ServerStartError(f"initdb failed (exit {code}):\n{_tail(init_log)}")
            yield from _start_postgres(root, bindir, prefix, timeout)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start_postgres(root: Path, bindir: Path, prefix: list[str],
                    timeout: float) -> Iterator[PostgresCluster]:
    cluster: PostgresCluster | None = None
    try:
        started = False
        last_error = ""
        for _attempt in range(_START_ATTEMPTS):
            cluster = PostgresCluster(bindir=bindir, root=root, port=free_port(),
                                      timeout=timeout)
            options = " ".join([
                f"-c port={cluster.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={shlex.quote(str(cluster.socket_dir))}",
                # Throwaway data: durability is not worth the time.
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                "-c max_connections=200",
            ])
            # pg_ctl opens the -l log itself, as the server user, inside the chowned root.
            code = _run_logged(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(cluster.datadir),
                 "-l", str(cluster.log_path), "-o", options,
                 "-w", "-t", str(int(timeout)), "start"],
                root / "pg_ctl.log", timeout=timeout + 5,
            )
            if code == 0 and wait_until(lambda c=cluster: bool(c.psql("SELECT 1").strip()),
                                        timeout=timeout):
                started = True
                break
            last_error = (f"pg_ctl start exited {code}\n--- pg_ctl.log\n"
                          f"{_tail(root / 'pg_ctl.log')}\n--- postgres.log\n"
                          f"{_tail(cluster.log_path)}")
            _stop_postgres(cluster, prefix)
            if "already in use" not in last_error and "could not bind" not in last_error:
                break
        if not started:
            raise ServerStartError(
                f"PostgreSQL did not start within {timeout:.0f} s:\n{last_error}")
        yield cluster
    finally:
        if cluster is not None:
            _stop_postgres(cluster, prefix)


@contextlib.contextmanager
def postgres_database(name: str = "distokoloshe", *,
                      timeout: float = DEFAULT_TIMEOUT) -> Iterator[str]:
    """A throwaway cluster with one empty database; yields that database's SQLAlchemy URL."""
    with postgres_cluster(timeout=timeout) as cluster:
        yield cluster.create_database(name)


# --------------------------------------------------------------------------- Redis


def find_redis_server() -> Path:
    override = os.environ.get("REDIS_SERVER")
    if override:
        if os.access(override, os.X_OK):
            return Path(override)
        raise ServerUnavailableError(f"REDIS_SERVER={override} is not an executable.")
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server",
                      "/usr/sbin/redis-server", "/usr/local/bin/redis-server"):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise ServerUnavailableError(
        "redis-server was not found. Install it (Debian/Ubuntu: apt-get install redis-server) "
        "or set REDIS_SERVER to its path."
    )


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def _redis_serving(process: subprocess.Popen[bytes], port: int) -> bool:
    return process.poll() is None and _redis_ping(port)


@contextlib.contextmanager
def redis_server(*, timeout: float = DEFAULT_TIMEOUT, db: int = 0) -> Iterator[str]:
    """Start a redis-server with no persistence; yields redis://127.0.0.1:PORT/db."""
    binary = find_redis_server()
    root = Path(tempfile.mkdtemp(prefix="redistest-"))
    try:
        last_error = ""
        for _attempt in range(_START_ATTEMPTS):
            port = free_port()
            log = root / f"redis-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(binary), "--port", str(port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", str(root),
                     "--daemonize", "no", "--protected-mode", "yes", "--logfile", ""],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C is for us; we stop it ourselves
                )
            try:
                with cleanup_if_we_die(f"kill {process.pid} 2>/dev/null; sleep 2; "
                                       f"kill -9 {process.pid} 2>/dev/null; "
                                       f"rm -rf {shlex.quote(str(root))}"):
                    serving = functools.partial(_redis_serving, process, port)
                    if wait_until(serving, timeout=timeout) and process.poll() is None:
                        yield f"redis://127.0.0.1:{port}/{db}"
                        return
                    last_error = f"redis-server exited {process.poll()}:\n{_tail(log)}"
            finally:
                _stop_process(process)
            if "already in use" not in last_error:
                break
        raise ServerStartError(f"redis-server did not start within {timeout:.0f} s:\n"
                               f"{last_error}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


@dataclasses.dataclass
class RedisProcess:
    """A redis-server (no persistence) that a test can stop and start again on its port,
    as an operator's restart does: it comes back empty."""

    root: Path
    port: int = dataclasses.field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = DEFAULT_TIMEOUT) -> RedisProcess:
        log = self.root / f"redis-{self.port}.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(find_redis_server()), "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.root),
                 "--daemonize", "no", "--protected-mode", "yes", "--logfile", ""],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if not wait_until(lambda: self.process.poll() is None and _redis_ping(self.port),
                          timeout=timeout):
            self.stop()
            raise ServerStartError(f"redis-server did not start:\n{_tail(log)}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)
