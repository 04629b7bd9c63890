"""A real PostgreSQL and a real Redis from Debian's packages, each on a free loopback port."""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from petsage.testing import free_port

# Debian's server user: PostgreSQL refuses to run as root.
_SERVER_USER = "postgres"


def postgres_bin() -> Path | None:
    """The newest PostgreSQL's binaries in Debian's layout, if one is installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _run(*command: str | Path, user: str | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        list(map(str, command)),
        capture_output=True,
        text=True,
        timeout=60,
        user=user,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {result.returncode}: {result.stderr}")
    return result.stdout


def _wait_for(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} within {timeout} s")


@dataclass
class Postgres:
    """A cluster in a temporary folder: superuser ``petsage`` (trusted on its unix socket only)
    and the role ``checker`` that logs in over TCP with a SCRAM password."""

    bin: Path
    root: Path
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    user: str | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        """The check's URL, without the password."""
        return f"postgresql://checker@127.0.0.1:{self.port}/postgres?sslmode=disable"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def initdb(self) -> None:
        _run(
            self.bin / "initdb",
            "--pgdata",
            self.data,
            "--username",
            "petsage",
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "--no-sync",
            user=self.user,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            self.bin / "pg_ctl",
            "start",
            "--wait",
            "--pgdata",
            self.data,
            "--log",
            self.log_path,
            "--options",
            options,
            user=self.user,
        )

    def stop(self) -> None:
        _run(
            self.bin / "pg_ctl", "stop", "--wait", "--mode", "fast", "-D", self.data, user=self.user
        )

    @property
    def psql(self) -> list[str]:
        """psql as the superuser over the unix socket, to the ``postgres`` database."""
        socket_dir, port = str(self.root), str(self.port)
        return [
            str(self.bin / "psql"),
            "-h",
            socket_dir,
            "-p",
            port,
            "-U",
            "petsage",
            "-d",
            "postgres",
        ]

    def sql(self, statement: str) -> str:
        """Run ``statement`` as the superuser; its output, unaligned."""
        return _run(*self.psql, "-XAtqc", statement)

    def set_password(self, password: str) -> None:
        """Rotate ``checker``'s password and end its sessions, as a rotation that revokes does."""
        self.password = password
        self.sql(f"ALTER ROLE checker PASSWORD '{password}'")
        self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'checker'")

    @contextlib.contextmanager
    def queries_fail(self) -> Iterator[None]:
        """New ``checker`` sessions whose every query the server cancels (57014) after 100 ms:
        serializable read-only deferrable, each waits for a safe snapshot that an open
        serializable transaction withholds, and ``statement_timeout`` ends the wait."""
        settings = {
            "default_transaction_isolation": "'serializable'",
            "default_transaction_read_only": "on",
            "default_transaction_deferrable": "on",
            "statement_timeout": "'100ms'",
        }
        for name, value in settings.items():
            self.sql(f"ALTER ROLE checker SET {name} = {value}")
        holder = subprocess.Popen(
            [*self.psql, "-X"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert holder.stdin is not None
        try:
            holder.stdin.write("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1;\n")
            holder.stdin.flush()
            idle = "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
            _wait_for(lambda: self.sql(idle).strip() == "1", "no serializable transaction")
            yield
        finally:
            holder.stdin.write("COMMIT;\n\\q\n")
            holder.stdin.close()
            holder.wait(30)
            self.sql("ALTER ROLE checker RESET ALL")


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A started cluster; removed, and its server stopped, when the block ends."""
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (tests/services/install-services.sh)")
    root = Path(tempfile.mkdtemp(prefix="petsage-postgres-"))
    user = _SERVER_USER if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(root, user)
    server = Postgres(binaries, root, user=user)
    try:
        server.initdb()
        server.start()
        server.sql(f"CREATE ROLE checker LOGIN PASSWORD '{server.password}'")
        yield server
    finally:
        with contextlib.suppress(RuntimeError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Redis:
    """A ``redis-server`` with a password, persisting nothing."""

    process: subprocess.Popen[bytes]
    port: int
    password: str
    log_path: Path

    @property
    def url(self) -> str:
        """The check's URL, without the password."""
        return f"redis://127.0.0.1:{self.port}/0"

    def cli(self, *command: str) -> str:
        return _run(
            "redis-cli",
            "-p",
            str(self.port),
            "--no-auth-warning",
            *command,
            env={"REDISCLI_AUTH": self.password},
        ).strip()

    def set_password(self, password: str) -> None:
        """Rotate the password and end the other clients' connections."""
        self.cli("CONFIG", "SET", "requirepass", password)
        self.password = password
        self.cli("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """The server stopped by SIGSTOP for the block: connections open, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def running_redis() -> Iterator[Redis]:
    """A started ``redis-server`` with a random password; stopped when the block ends."""
    password = secrets.token_hex(12)
    executable = shutil.which("redis-server")
    if executable is None:
        raise FileNotFoundError(
            "redis-server is not installed (tests/services/install-services.sh)"
        )
    root = Path(tempfile.mkdtemp(prefix="petsage-redis-"))
    port = free_port()
    log_path = root / "server.log"
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--requirepass",
            password,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--logfile",
            str(log_path),
        ]
    )
    server = Redis(process, port, password, log_path)
    try:
        _wait_for(lambda: _answers(server), "redis-server did not answer PING")
        yield server
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(30)
        shutil.rmtree(root, ignore_errors=True)


def _answers(server: Redis) -> bool:
    try:
        return server.cli("PING") == "PONG"
    except RuntimeError:
        return False
