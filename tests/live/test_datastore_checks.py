"""The postgres and redis checks in process against real servers: what each failure says."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

import pytest

from petsage.health.credentials import Password
from petsage.health.models import CheckResult
from petsage.health.postgres import PostgresCheck
from petsage.health.redis import RedisCheck
from petsage.health.runner import Runner
from petsage.health.sessions import SessionCheck
from petsage.health.typing import Registration
from petsage.testing import free_port
from tests.services.datastores import Postgres, Redis

TIMEOUT = 0.5
T = TypeVar("T")


def _in_loop(check: SessionCheck[Any], scenario: Awaitable[T]) -> T:
    """``scenario`` in a new event loop, as the server runs checks; the session closed after."""

    async def run() -> T:
        try:
            return await scenario
        finally:
            await check.aclose()

    return asyncio.run(run())


def _run(check: SessionCheck[Any], timeout: float = TIMEOUT) -> CheckResult:
    runner = Runner([Registration(check, timeout=timeout)])
    (result,) = _in_loop(check, runner.run(runner.names)).values()
    return result


@pytest.fixture
def password_env(postgres: Postgres, redis: Redis) -> Iterator[None]:
    os.environ["TEST_PG_PASSWORD"] = postgres.password
    os.environ["TEST_REDIS_PASSWORD"] = redis.password
    yield
    del os.environ["TEST_PG_PASSWORD"], os.environ["TEST_REDIS_PASSWORD"]


def _postgres(postgres: Postgres, password: str | None = None) -> PostgresCheck:
    if password is None:
        return PostgresCheck("pet-db", postgres.url, Password(env="TEST_PG_PASSWORD"))
    url = postgres.url.replace("checker@", f"checker:{password}@")
    return PostgresCheck("pet-db", url, Password())


def _redis(redis: Redis, password: str | None = None) -> RedisCheck:
    if password is None:
        return RedisCheck("cache", redis.url, Password(env="TEST_REDIS_PASSWORD"))
    return RedisCheck("cache", redis.url.replace("//", f"//:{password}@"), Password())


@pytest.mark.usefixtures("password_env")
def test_both_pass_with_the_password_from_a_variable(postgres: Postgres, redis: Redis) -> None:
    """password_env: both checks log in and pass, reporting a response time."""
    for result in (_run(_postgres(postgres)), _run(_redis(redis))):
        assert (result.status, result.output, result.observed_unit) == ("pass", None, "ms")


def test_password_in_the_url_logs_in(postgres: Postgres, redis: Redis) -> None:
    """The URLs as their ecosystems write them, password included, pass."""
    assert _run(_postgres(postgres, postgres.password)).status == "pass"
    assert _run(_redis(redis, redis.password)).status == "pass"


def _sessions(postgres: Postgres) -> list[str]:
    query = "SELECT pid FROM pg_stat_activity WHERE application_name = 'petsage-health'"
    return postgres.sql(query).split()


@pytest.mark.usefixtures("password_env")
def test_postgres_session_is_reused_and_replaced_after_a_failure(postgres: Postgres) -> None:
    """Three runs use one server session; one killed by the server is replaced by a new one."""
    check = _postgres(postgres)
    runner = Runner([Registration(check, timeout=TIMEOUT)])

    async def scenario() -> tuple[list[str], list[str], list[CheckResult]]:
        results = [(await runner.run(runner.names))["pet-db"] for _ in range(3)]
        first = await asyncio.to_thread(_sessions, postgres)
        await asyncio.to_thread(postgres.sql, f"SELECT pg_terminate_backend({first[0]})")
        results.append((await runner.run(runner.names))["pet-db"])
        return first, await asyncio.to_thread(_sessions, postgres), results

    before, after, results = _in_loop(check, scenario())
    assert [r.status for r in results] == ["pass"] * 4
    assert len(before) == 1
    assert len(after) == 1
    assert after != before


@pytest.mark.usefixtures("password_env")
def test_redis_connection_is_reused(redis: Redis) -> None:
    """Three runs use one Redis connection (CLIENT LIST shows one petsage-health client)."""
    check = _redis(redis)

    async def scenario() -> str:
        runner = Runner([Registration(check, timeout=TIMEOUT)])
        for _ in range(3):
            assert (await runner.run(runner.names))["cache"].status == "pass"
        return await asyncio.to_thread(redis.cli, "CLIENT", "LIST")

    clients = _in_loop(check, scenario()).splitlines()
    assert sum("name=petsage-health" in line for line in clients) == 1


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_refused_connection(kind: str) -> None:
    """Nothing listening: `cannot connect: Connection refused`."""
    port = free_port()
    check: SessionCheck[Any]
    if kind == "postgres":
        check = PostgresCheck("pet-db", f"postgresql://u:pw@127.0.0.1:{port}/db", Password())
    else:
        check = RedisCheck("cache", f"redis://:pw@127.0.0.1:{port}/0", Password())
    result = _run(check)
    assert (result.status, result.output) == ("fail", "cannot connect: Connection refused")


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_wrong_password_is_authentication_failed_and_stays_secret(
    postgres: Postgres, redis: Redis, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """A wrong password: `authentication failed`; it appears in no log record."""
    wrong = "not-the-Pa55word"
    check = _postgres(postgres, wrong) if kind == "postgres" else _redis(redis, wrong)
    with caplog.at_level(logging.DEBUG):
        result = _run(check)
    assert (result.status, result.output) == ("fail", "authentication failed")
    assert "authentication" in caplog.text.lower() or "invalid" in caplog.text.lower()
    assert wrong not in caplog.text
    assert wrong not in repr(check)


@pytest.mark.usefixtures("password_env")
def test_postgres_session_refused_after_login_names_the_sqlstate(postgres: Postgres) -> None:
    """A database that does not exist: `cannot log in: SQLSTATE 3D000`."""
    url = postgres.url.replace("/postgres?", "/no_such_db?")
    result = _run(PostgresCheck("pet-db", url, Password(env="TEST_PG_PASSWORD")))
    assert (result.status, result.output) == ("fail", "cannot log in: SQLSTATE 3D000")


def test_redis_without_a_password_is_authentication_failed(redis: Redis) -> None:
    """No password for a server that requires one: `authentication failed`."""
    result = _run(RedisCheck("cache", redis.url, Password()))
    assert (result.status, result.output) == ("fail", "authentication failed")


@pytest.mark.usefixtures("password_env")
def test_postgres_query_that_fails(postgres: Postgres) -> None:
    """SELECT 1 cancelled by the server's statement_timeout: `query failed: SQLSTATE 57014`."""
    with postgres.queries_fail():
        result = _run(_postgres(postgres), timeout=5)
    assert (result.status, result.output) == ("fail", "query failed: SQLSTATE 57014")
    assert _run(_postgres(postgres)).status == "pass"


@pytest.mark.usefixtures("password_env")
def test_redis_ping_that_is_refused(redis: Redis) -> None:
    """PING denied by an ACL: `PING failed: NoPermissionError`."""
    redis.cli("ACL", "SETUSER", "default", "-ping")
    try:
        result = _run(_redis(redis))
    finally:
        redis.cli("ACL", "SETUSER", "default", "+ping")
    assert (result.status, result.output) == ("fail", "PING failed: NoPermissionError")


@pytest.mark.usefixtures("password_env")
@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_frozen_server_times_out_and_the_session_is_replaced(
    postgres: Postgres, redis: Redis, kind: str
) -> None:
    """SIGSTOP on the process serving the session: `timed out after 0.5 s` within timeout +
    0.5 s; thawed, the next run passes."""
    check = _postgres(postgres) if kind == "postgres" else _redis(redis)
    runner = Runner([Registration(check, timeout=TIMEOUT)])

    async def scenario() -> tuple[CheckResult, float, CheckResult]:
        await runner.run(runner.names)  # the session is open
        if kind == "postgres":
            (backend,) = await asyncio.to_thread(_sessions, postgres)
            pid = int(backend)
        else:
            pid = redis.process.pid
        loop = asyncio.get_running_loop()
        os.kill(pid, signal.SIGSTOP)
        try:
            started = loop.time()
            (frozen,) = (await runner.run(runner.names)).values()
            elapsed = loop.time() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        (thawed,) = (await runner.run(runner.names)).values()
        return frozen, elapsed, thawed

    frozen, elapsed, thawed = _in_loop(check, scenario())
    assert (frozen.status, frozen.output) == ("fail", f"timed out after {TIMEOUT} s")
    assert elapsed < TIMEOUT + 0.5
    assert thawed.status == "pass"


def test_unreadable_password_file_fails_saying_so(postgres: Postgres) -> None:
    """A password_file that went away: `cannot read password_file`."""
    check = PostgresCheck("pet-db", postgres.url, Password(file=postgres.root / "missing"))
    result = _run(check)
    assert (result.status, result.output) == ("fail", "cannot read password_file")
