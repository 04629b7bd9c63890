"""Checks of the process itself: event-loop lag, uptime and memory. None touches a dependency."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from dataclasses import dataclass, field

from petsage.health.lifecycle import Lifecycle
from petsage.health.models import CheckResult, Status

_MIB = 1024 * 1024

SHUTDOWN, EVENT_LOOP, UPTIME, MEMORY = "shutdown", "event-loop", "uptime", "memory"
# Taken: no configured check may be named so.
BUILT_IN_NAMES = (SHUTDOWN, EVENT_LOOP, UPTIME, MEMORY)


class EventLoopMonitor:
    """Measures scheduling lag with one background ticker, so a probe reads a number instead of
    measuring: the ticker asks to wake every ``interval`` seconds and records how late it woke.

    Times come from ``time.perf_counter`` rather than the loop's clock, so another thread (the
    management listener's) can read how overdue the ticker is while this loop is blocked.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._lag = 0.0
        self._last_tick: float | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._last_tick = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(
            self._tick(), name="petsage-event-loop-monitor"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _tick(self) -> None:
        while True:
            due = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            self._last_tick = time.perf_counter()
            self._lag = max(0.0, self._last_tick - due)

    def lag(self) -> float | None:
        """Seconds the loop is behind, or ``None`` before ``start``. A tick that is overdue right
        now counts too, so a loop that is blocked shows up before the ticker runs again."""
        if self._last_tick is None:
            return None
        overdue = time.perf_counter() - self._last_tick - self.interval
        return max(self._lag, overdue, 0.0)


@dataclass(frozen=True, slots=True)
class EventLoopCheck:
    monitor: EventLoopMonitor
    warn_after: float
    fail_after: float
    name: str = EVENT_LOOP

    async def check(self) -> CheckResult:
        lag = self.monitor.lag()
        if lag is None:
            return CheckResult(status="warn", component_type="system", output="not measured yet")
        status: Status = "pass"
        output = None
        if lag >= self.fail_after:
            status, output = "fail", f"event loop lags {lag:.3f} s"
        elif lag >= self.warn_after:
            status, output = "warn", f"event loop lags {lag:.3f} s"
        return CheckResult(
            status=status,
            component_type="system",
            observed_value=round(lag * 1000, 3),
            observed_unit="ms",
            output=output,
        )


@dataclass(frozen=True, slots=True)
class ShutdownCheck:
    """Fails from the stop signal on, as Kubernetes' ``shutdown`` readyz check does."""

    lifecycle: Lifecycle
    name: str = SHUTDOWN

    async def check(self) -> CheckResult:
        if self.lifecycle.draining:
            return CheckResult(status="fail", component_type="system", output="shutting down")
        return CheckResult(component_type="system")


@dataclass(frozen=True, slots=True)
class UptimeCheck:
    started: float = field(default_factory=time.monotonic)
    name: str = UPTIME

    async def check(self) -> CheckResult:
        return CheckResult(
            component_type="system",
            observed_value=round(time.monotonic() - self.started, 3),
            observed_unit="s",
        )


def resident_set_size() -> int:
    """The process's resident memory in bytes (its current size on Linux, its peak elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(frozen=True, slots=True)
class MemoryCheck:
    warn_above_mib: float
    name: str = MEMORY

    async def check(self) -> CheckResult:
        rss = resident_set_size() / _MIB
        over = rss > self.warn_above_mib
        return CheckResult(
            status="warn" if over else "pass",
            component_type="system",
            observed_value=round(rss, 1),
            observed_unit="MiB",
            output=f"resident memory above {self.warn_above_mib:g} MiB" if over else None,
        )
