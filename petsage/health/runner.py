"""Run checks so that no probe can hang, pile up, or hammer a dependency.

Every check is bounded by its own timeout; concurrent callers share one in-flight run of a check,
and a result is reused for the check's TTL, so any number of probes costs a dependency at most one
call per TTL. A check that raises reports ``fail``; the error goes to the log, not the response.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence

from petsage.health.models import CheckResult, Status
from petsage.health.typing import Observer, Registration

logger = logging.getLogger(__name__)

_SEVERITY: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


def worst(statuses: Iterable[Status]) -> Status:
    """The aggregate status: ``fail`` over ``warn`` over ``pass`` (``pass`` for none)."""
    return max(statuses, key=_SEVERITY.__getitem__, default="pass")


class _Slot:
    """One check's cached result and in-flight run."""

    __slots__ = ("clock", "expires", "inflight", "observer", "registration", "result")

    def __init__(
        self, registration: Registration, clock: Callable[[], float], observer: Observer | None
    ) -> None:
        self.registration = registration
        self.clock = clock
        self.observer = observer
        self.result: CheckResult | None = None
        self.expires = 0.0
        self.inflight: asyncio.Future[CheckResult] | None = None

    def fresh(self) -> CheckResult | None:
        return self.result if self.result is not None and self.clock() < self.expires else None

    async def get(self) -> CheckResult:
        cached = self.fresh()
        if cached is not None:
            return cached
        if self.inflight is None:
            self.inflight = asyncio.ensure_future(self._run())
        # Shielded: a caller that goes away does not cancel the run the others wait for.
        return await asyncio.shield(self.inflight)

    async def _run(self) -> CheckResult:
        try:
            result = await self._bounded()
            self.result, self.expires = result, self.clock() + self.registration.ttl
            return result
        finally:
            self.inflight = None

    async def _bounded(self) -> CheckResult:
        registration = self.registration
        name = registration.check.name
        started = time.perf_counter()
        try:
            async with asyncio.timeout(registration.timeout):
                result = await registration.check.check()
        except TimeoutError:
            logger.warning("health check %r timed out after %g s", name, registration.timeout)
            result = CheckResult(
                status="fail", output=f"timed out after {registration.timeout:g} s"
            )
        except Exception as error:
            logger.exception("health check %r raised", name)
            result = CheckResult(status="fail", output=f"check raised {type(error).__name__}")
        if result.status == "fail" and not registration.critical:
            result = result.model_copy(update={"status": "warn"})
        if self.observer is not None:
            self.observer.check_ran(name, result, time.perf_counter() - started)
        return result


class UnknownCheckError(LookupError):
    """Raised when a caller names a check the runner does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Runner:
    """Runs a fixed set of registered checks; see the module's docstring for the guarantees."""

    def __init__(
        self,
        registrations: Sequence[Registration],
        clock: Callable[[], float] = time.monotonic,
        observer: Observer | None = None,
    ) -> None:
        self._slots = {r.check.name: _Slot(r, clock, observer) for r in registrations}
        if len(self._slots) != len(registrations):
            raise ValueError("two checks have the same name")

    @property
    def names(self) -> list[str]:
        return list(self._slots)

    def select(self, exclude: Iterable[str] = (), *, strict: bool = True) -> list[str]:
        """Every check name but ``exclude``; raises ``UnknownCheckError`` for a name not known,
        unless not ``strict``."""
        skipped = set(exclude)
        for name in skipped:
            if strict and name not in self._slots:
                raise UnknownCheckError(name)
        return [name for name in self._slots if name not in skipped]

    async def run(self, names: Sequence[str]) -> dict[str, CheckResult]:
        """The results of ``names`` by response key, all at once; cached ones without awaiting."""
        slots = [self._slot(name) for name in names]
        results = [slot.fresh() for slot in slots]
        stale = [i for i, result in enumerate(results) if result is None]
        if stale:
            for i, result in zip(
                stale, await asyncio.gather(*(slots[i].get() for i in stale)), strict=True
            ):
                results[i] = result
        return {
            slot.registration.key: result
            for slot, result in zip(slots, results, strict=True)
            if result is not None
        }

    def _slot(self, name: str) -> _Slot:
        try:
            return self._slots[name]
        except KeyError:
            raise UnknownCheckError(name) from None
