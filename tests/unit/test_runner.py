"""The runner: aggregation, criticality, timeouts, errors, cache TTL, one shared run, exclude."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import pytest

from petsage.health import CheckResult, Registration, named_check
from petsage.health.models import Status
from petsage.health.runner import Runner, UnknownCheckError, worst


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting(
    status: Status = "pass", delay: float = 0.0
) -> tuple[Callable[[], Awaitable[CheckResult]], list[int]]:
    """An async check function that records each call, sleeps ``delay``, and reports ``status``."""
    calls: list[int] = []

    async def check() -> CheckResult:
        calls.append(1)
        await asyncio.sleep(delay)
        return CheckResult(status=status, output=None if status == "pass" else status)

    return check, calls


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "pass"),
        (["pass", "pass"], "pass"),
        (["pass", "warn"], "warn"),
        (["warn", "fail", "pass"], "fail"),
        (["fail"], "fail"),
    ],
)
def test_aggregate_is_the_worst_status(statuses: list[Status], expected: Status) -> None:
    """fail beats warn beats pass; no checks at all is pass."""
    assert worst(statuses) == expected


@pytest.mark.parametrize(
    ("status", "critical", "expected"),
    [
        ("pass", True, "pass"),
        ("warn", True, "warn"),
        ("fail", True, "fail"),
        ("pass", False, "pass"),
        ("warn", False, "warn"),
        ("fail", False, "warn"),
    ],
)
def test_failure_of_a_non_critical_check_is_a_warning(
    status: Status, critical: bool, expected: Status
) -> None:
    """A failing check reports fail when critical and warn otherwise; its output is kept."""
    function, _ = counting(status)
    runner = Runner([Registration(named_check("dep", function), critical=critical)])
    result = asyncio.run(runner.run(["dep"]))["dep"]
    assert result.status == expected
    assert result.output == (None if status == "pass" else status)


@pytest.mark.parametrize(
    ("timeout", "delay", "status", "output"),
    [
        (0.2, 0.0, "pass", None),
        (0.2, 10.0, "fail", "timed out after 0.2 s"),
        (0.05, 10.0, "fail", "timed out after 0.05 s"),
    ],
)
def test_check_is_bounded_by_its_timeout(
    timeout: float, delay: float, status: Status, output: str | None
) -> None:
    """A check that outlives its timeout reports fail, saying so, at the timeout."""
    function, _ = counting(delay=delay)
    runner = Runner([Registration(named_check("slow", function), timeout=timeout)])
    started = time.monotonic()
    result = asyncio.run(runner.run(["slow"]))["slow"]
    assert (result.status, result.output) == (status, output)
    assert time.monotonic() - started < timeout + 2.0


def test_checks_run_concurrently_so_the_slowest_timeout_bounds_the_run() -> None:
    """Three hung checks with a 0.3 s timeout take about 0.3 s together, not 0.9 s."""
    registrations = [
        Registration(named_check(name, counting(delay=10.0)[0]), timeout=0.3)
        for name in ("a", "b", "c")
    ]
    started = time.monotonic()
    results = asyncio.run(Runner(registrations).run(["a", "b", "c"]))
    assert time.monotonic() - started < 0.85
    assert {r.status for r in results.values()} == {"fail"}


@pytest.mark.parametrize("sync", [True, False])
def test_check_that_raises_fails_with_a_short_output_and_the_error_in_the_log(
    sync: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The output names the exception class only; the message and traceback go to the log."""

    def explode() -> None:
        raise ConnectionError("password=hunter2 at db.internal")

    async def explode_async() -> None:
        explode()

    runner = Runner([Registration(named_check("db", explode if sync else explode_async))])
    with caplog.at_level(logging.ERROR, logger="petsage.health.runner"):
        result = asyncio.run(runner.run(["db"]))["db"]
    assert (result.status, result.output) == ("fail", "check raised ConnectionError")
    assert "hunter2" not in result.model_dump_json()
    assert any("hunter2" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


@pytest.mark.parametrize(
    ("ttl", "advance", "calls"),
    [(0.0, 0.0, 2), (5.0, 1.0, 1), (5.0, 4.9, 1), (5.0, 5.0, 2), (5.0, 60.0, 2)],
)
def test_result_is_reused_for_its_ttl(ttl: float, advance: float, calls: int) -> None:
    """Within the TTL a second run reuses the first result; at or after it, the check runs again."""
    clock = Clock()
    function, made = counting()
    runner = Runner([Registration(named_check("dep", function), ttl=ttl)], clock=clock)

    async def twice() -> tuple[CheckResult, CheckResult]:
        first = (await runner.run(["dep"]))["dep"]
        clock.now += advance
        return first, (await runner.run(["dep"]))["dep"]

    first, second = asyncio.run(twice())
    assert len(made) == calls
    assert (first is second) == (calls == 1)


def test_failures_are_cached_too() -> None:
    """A failed result is reused for its TTL, so a storm of probes spares a failing dependency."""
    function, made = counting("fail")
    runner = Runner([Registration(named_check("dep", function), ttl=5.0)], clock=Clock())

    async def many() -> list[dict[str, CheckResult]]:
        return [await runner.run(["dep"]) for _ in range(10)]

    assert {r["dep"].status for r in asyncio.run(many())} == {"fail"}
    assert len(made) == 1


@pytest.mark.parametrize("callers", [2, 50])
def test_concurrent_callers_share_one_run(callers: int) -> None:
    """Concurrent callers with no cached result wait for one run of the check, not one each."""
    function, made = counting(delay=0.1)
    runner = Runner([Registration(named_check("dep", function))])

    async def storm() -> list[dict[str, CheckResult]]:
        return await asyncio.gather(*(runner.run(["dep"]) for _ in range(callers)))

    results = asyncio.run(storm())
    assert len(made) == 1
    assert len({id(r["dep"]) for r in results}) == 1


def test_caller_that_goes_away_does_not_cancel_the_shared_run() -> None:
    """Cancelling one waiting caller leaves the run to finish for the others."""
    function, made = counting(delay=0.1)
    runner = Runner([Registration(named_check("dep", function))])

    async def scenario() -> CheckResult:
        impatient = asyncio.ensure_future(runner.run(["dep"]))
        patient = asyncio.ensure_future(runner.run(["dep"]))
        await asyncio.sleep(0.02)
        impatient.cancel()
        return (await patient)["dep"]

    assert asyncio.run(scenario()).status == "pass"
    assert len(made) == 1


@pytest.mark.parametrize(
    ("exclude", "selected"),
    [((), ["a", "b", "c"]), (("b",), ["a", "c"]), (("a", "c", "a"), ["b"]), (("a", "b", "c"), [])],
)
def test_exclude_skips_the_named_checks(exclude: tuple[str, ...], selected: list[str]) -> None:
    """select() keeps the registration order and leaves the excluded names out."""
    runner = Runner([Registration(named_check(n, counting()[0])) for n in ("a", "b", "c")])
    assert runner.select(exclude) == selected


@pytest.mark.parametrize("names", [("nope",), ("a", "nope")])
def test_unknown_name_is_an_error_naming_it(names: tuple[str, ...]) -> None:
    """Excluding or running a name the runner does not have raises UnknownCheckError(name)."""
    runner = Runner([Registration(named_check("a", counting()[0]))])
    with pytest.raises(UnknownCheckError) as excluded:
        runner.select(names)
    assert excluded.value.name == "nope"
    with pytest.raises(UnknownCheckError):
        asyncio.run(runner.run(list(names)))


def test_result_key_is_component_and_measurement() -> None:
    """A check with a measurement is keyed name:measurement; one without by its name."""
    runner = Runner(
        [
            Registration(named_check("pet-db", counting()[0]), measurement="responseTime"),
            Registration(named_check("uptime", counting()[0])),
        ]
    )
    assert set(asyncio.run(runner.run(runner.names))) == {"pet-db:responseTime", "uptime"}


@pytest.mark.parametrize("name", ["", "Pet", "pet_db", "-pet", "pet-", "a" * 64, "pet db"])
def test_check_names_are_lowercase_words_joined_by_hyphens(name: str) -> None:
    """named_check refuses a name that would not fit in a URL path segment as the contract says."""
    with pytest.raises(ValueError, match="lowercase"):
        named_check(name, counting()[0])


def test_plain_function_returning_none_passes() -> None:
    """A lifted sync function that returns None is a pass."""
    runner = Runner([Registration(named_check("noop", lambda: None))])
    assert asyncio.run(runner.run(["noop"]))["noop"].status == "pass"
