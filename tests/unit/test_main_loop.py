"""The Python checks run on the main event loop; another loop asks it, within a bound."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence

import pytest

from petsage.health import Registration, named_check
from petsage.health.main_loop import MainLoop, local_runs
from petsage.health.models import CheckResult


async def _settle() -> None:
    others = asyncio.all_tasks() - {asyncio.current_task()}
    await asyncio.gather(*others, return_exceptions=True)


@pytest.fixture
def main_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own, as the main app's does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    # What a test left on it (a check asked, then given up on) finishes before the loop stops: a
    # task still pending at close would be destroyed mid-way, as no served loop ever does.
    asyncio.run_coroutine_threadsafe(_settle(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def _attached(loop: asyncio.AbstractEventLoop, ran_on: list[object]) -> MainLoop:
    main = MainLoop()

    async def run(names: Sequence[str]) -> dict[str, CheckResult]:
        ran_on.append(asyncio.get_running_loop())
        return {f"{name}:responseTime": CheckResult() for name in names}

    async def attach() -> None:
        main.attach(run)

    asyncio.run_coroutine_threadsafe(attach(), loop).result()
    return main


def test_a_result_is_the_main_loops(main_loop: asyncio.AbstractEventLoop) -> None:
    """Asked from another loop, the check runs on the main loop and its result comes back."""
    ran_on: list[object] = []
    main = _attached(main_loop, ran_on)
    assert asyncio.run(main.result("pool", 5.0)).status == "pass"
    assert ran_on == [main_loop]


def test_a_blocked_main_loop_fails_the_check_saying_so(
    main_loop: asyncio.AbstractEventLoop,
) -> None:
    """When the main loop does not answer within the wait, the result is fail `main event loop
    busy`."""
    ran_on: list[object] = []
    main = _attached(main_loop, ran_on)
    released = threading.Event()
    main_loop.call_soon_threadsafe(released.wait, 5.0)
    try:
        result = asyncio.run(main.result("pool", 0.1))
    finally:
        released.set()
    assert (result.status, result.output) == (
        "fail",
        "main event loop busy: no answer within 0.1 s",
    )


def test_no_main_loop_fails_the_check() -> None:
    """Before the main app serves, or after it has stopped, the check fails saying so."""
    result = asyncio.run(MainLoop().result("pool", 1.0))
    assert (result.status, result.output) == ("fail", "main event loop busy: not serving")


def test_proxies_keep_name_measurement_and_criticality() -> None:
    """A proxy registration answers under the check's key, critical as the check, and waits a
    little longer than the check's own timeout."""
    original = Registration(
        named_check("pool", lambda: None), timeout=1.0, critical=False, measurement="responseTime"
    )
    (proxy,) = MainLoop().proxies([original])
    assert (proxy.key, proxy.critical) == ("pool:responseTime", False)
    assert proxy.timeout > original.timeout


def test_the_proxies_runs_are_not_reported_twice() -> None:
    """The observer of a listener that asks the main loop is told of its own checks' runs only:
    the main runner reports the proxied checks' real runs."""
    told: list[str] = []

    class Recorder:
        def check_ran(self, name: str, result: CheckResult, seconds: float) -> None:
            told.append(name)

    proxies = MainLoop().proxies([Registration(named_check("pool", lambda: None))])
    observer = local_runs(Recorder(), proxies)
    assert observer is not None
    observer.check_ran("pool", CheckResult(), 0.1)
    observer.check_ran("memory", CheckResult(), 0.1)
    assert told == ["memory"]
