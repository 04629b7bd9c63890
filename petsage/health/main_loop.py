"""Python checks run on one event loop: the main app's.

A check written in Python (``PETSAGE_CHECKS``, ``checks=``) may hold what binds to the loop it
first runs on, such as an asyncpg or redis pool, and may share the application's own. So it runs
only on the main event loop, through the main app's runner (one cache, one in-flight run, one
``aclose``). The management listener, on a loop of its own, asks the main loop for the result
with ``asyncio.run_coroutine_threadsafe``; when the main loop does not answer within the check's
timeout plus ``MARGIN`` (blocked, or not serving any more), the management listener reports the
check ``fail`` with ``output`` ``main event loop busy`` (``warn`` for a check that is not critical),
and the event-loop check says by how much the main loop lags.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from petsage.health.models import CheckResult
from petsage.health.typing import Observer, Registration

# What the main loop's answer may take beyond the check's own timeout (its scheduling).
MARGIN = 0.25
BUSY = "main event loop busy"

RunChecks = Callable[[Sequence[str]], Coroutine[Any, Any, dict[str, CheckResult]]]


class MainLoop:
    """The main loop and its runner while the main app serves (its lifespan attaches them)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run: RunChecks | None = None

    def attach(self, run: RunChecks) -> None:
        """Called on the main loop: from now on ``run`` answers for it."""
        self._loop, self._run = asyncio.get_running_loop(), run

    def detach(self) -> None:
        self._loop = self._run = None

    def proxies(self, registrations: Sequence[Registration]) -> list[Registration]:
        """Registrations that run ``registrations``' checks on the main loop, from any other."""
        return [
            Registration(
                _OnMainLoop(self, r.check.name, r.timeout + MARGIN),
                # The main runner already bounds, caches and downgrades; these bound the wait.
                timeout=r.timeout + 2 * MARGIN,
                critical=r.critical,
                measurement=r.measurement,
            )
            for r in registrations
        ]

    async def result(self, name: str, wait: float) -> CheckResult:
        """The main runner's result for the check ``name``, or ``fail`` after ``wait`` seconds."""
        loop, run = self._loop, self._run
        if loop is None or run is None:
            return CheckResult(status="fail", output=f"{BUSY}: not serving")
        asked = run([name])
        try:
            future = asyncio.run_coroutine_threadsafe(asked, loop)
        except RuntimeError:  # the loop has closed since
            asked.close()
            return CheckResult(status="fail", output=f"{BUSY}: not serving")
        try:
            async with asyncio.timeout(wait):
                (result,) = (await asyncio.wrap_future(future)).values()
        except TimeoutError:
            future.cancel()
            return CheckResult(status="fail", output=f"{BUSY}: no answer within {wait:g} s")
        return result


def local_runs(observer: Observer | None, proxies: Sequence[Registration]) -> Observer | None:
    """``observer``, told of every run but the ``proxies``': the main runner reports those
    checks' real runs, and an answer asked of it may be one of its cached ones."""
    if observer is None or not proxies:
        return observer
    return _LocalRuns(observer, frozenset(r.check.name for r in proxies))


class _LocalRuns:
    def __init__(self, observer: Observer, skipped: frozenset[str]) -> None:
        self._observer, self._skipped = observer, skipped

    def check_ran(self, name: str, result: CheckResult, seconds: float) -> None:
        if name not in self._skipped:
            self._observer.check_ran(name, result, seconds)


class _OnMainLoop:
    """A check that asks the main loop for another check's result."""

    def __init__(self, main: MainLoop, name: str, wait: float) -> None:
        self._main, self._name, self._wait = main, name, wait

    @property
    def name(self) -> str:
        return self._name

    async def check(self) -> CheckResult:
        return await self._main.result(self._name, self._wait)
