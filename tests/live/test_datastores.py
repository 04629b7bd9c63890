"""`petsage serve` checking a real PostgreSQL and a real Redis: outages, a freeze, a rotation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.testing import LiveServer, running_server
from tests.live.test_health import _get
from tests.services.datastores import Postgres, Redis

TIMEOUT = 0.5
# The bound the feature promises: a frozen dependency fails the check within its timeout.
MARGIN = 0.5

_seen: list[str] = []  # every body the server sent, to look for passwords in


def _ready(server: LiveServer, check: str) -> tuple[int, str, str | None, float]:
    """``(code, status, output, seconds)`` of /ready/{check}."""
    code, body, elapsed = _get(f"{server.base_url}/api/v1/health/ready/{check}")
    _seen.append(json.dumps(body))
    (result,) = body["checks"][f"{check}:responseTime"]
    return code, result["status"], result.get("output"), elapsed


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, redis: Redis) -> Path:
    """A folder like a mounted Secret: one file per password."""
    folder = tmp_path_factory.mktemp("secret")
    (folder / "postgres").write_text(postgres.password + "\n")
    (folder / "redis").write_text(redis.password)
    return folder


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: Postgres,
    redis: Redis,
    secrets: Path,
    health_token_file: Path,
) -> Iterator[LiveServer]:
    """A server checking both, passwords from files, no TTL so each probe runs the checks; the
    probes ask with the health token."""
    config = tmp_path_factory.mktemp("config") / "petsage.toml"
    config.write_text(
        f'[[health.checks]]\nname = "pet-db"\ntype = "postgres"\ntarget = "{postgres.url}"\n'
        f'password_file = "{secrets / "postgres"}"\ntimeout = {TIMEOUT}\nttl = 0\n\n'
        f'[[health.checks]]\nname = "cache"\ntype = "redis"\ntarget = "{redis.url}"\n'
        f'password_file = "{secrets / "redis"}"\ntimeout = {TIMEOUT}\nttl = 0\n'
    )
    env = {"PETSAGE_HEALTH_TOKEN_FILE": str(health_token_file)}
    with running_server("--config", str(config), env=env) as live:
        yield live


def test_both_pass(server: LiveServer) -> None:
    """With both servers up, each check and readiness as a whole are 200 pass."""
    assert _ready(server, "pet-db")[:3] == (200, "pass", None)
    assert _ready(server, "cache")[:3] == (200, "pass", None)
    code, body, _ = _get(f"{server.base_url}/api/v1/health/ready")
    assert (code, body["status"]) == (200, "pass")


def test_frozen_redis_fails_within_the_timeout(server: LiveServer, redis: Redis) -> None:
    """Redis stopped by SIGSTOP: 503 within timeout + 0.5 s; thawed, 200 again."""
    _ready(server, "cache")  # a session is open when the server freezes
    with redis.frozen():
        code, status, output, elapsed = _ready(server, "cache")
        assert (code, status, output) == (503, "fail", f"timed out after {TIMEOUT} s")
        assert elapsed < TIMEOUT + MARGIN
    assert _ready(server, "cache")[:3] == (200, "pass", None)


def test_postgres_stopped_fails_and_restarted_passes(
    server: LiveServer, postgres: Postgres
) -> None:
    """PostgreSQL stopped: 503 connection refused; started again: 200, PetSage not restarted."""
    postgres.stop()
    try:
        code, status, output, _ = _ready(server, "pet-db")
        assert (code, status, output) == (503, "fail", "cannot connect: Connection refused")
    finally:
        postgres.start()
    assert _ready(server, "pet-db")[:3] == (200, "pass", None)


@pytest.mark.parametrize("check", ["pet-db", "cache"])
def test_rotated_password_fails_until_the_secret_has_it(
    server: LiveServer, postgres: Postgres, redis: Redis, secrets: Path, check: str
) -> None:
    """The server's password rotated: 503 authentication failed; the file updated: 200."""
    store, file = (postgres, "postgres") if check == "pet-db" else (redis, "redis")
    old = store.password
    store.set_password(old + "-rotated")
    try:
        assert _ready(server, check)[:3] == (503, "fail", "authentication failed")
        (secrets / file).write_text(store.password)
        assert _ready(server, check)[:3] == (200, "pass", None)
    finally:
        store.set_password(old)
        (secrets / file).write_text(old)
    assert _ready(server, check)[:3] == (200, "pass", None)


def test_passwords_are_in_no_response_and_no_log_line(
    server: LiveServer, postgres: Postgres, redis: Redis
) -> None:
    """After the failures above, no password, old or rotated, is in a body or the server log."""
    time.sleep(0.2)  # the last lines reach the log
    log = server.log()
    assert "authentication failed" in log or "health check 'pet-db'" in log
    for password in (postgres.password, redis.password):
        for secret in (password, password + "-rotated"):
            assert secret not in log
            assert not any(secret in body for body in _seen)
