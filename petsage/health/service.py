"""Liveness and readiness: which checks each runs, and the documents they answer with."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence

from petsage import __version__
from petsage.health.checks import Closable
from petsage.health.config import Health
from petsage.health.lifecycle import Lifecycle
from petsage.health.models import CheckResult, HealthResponse
from petsage.health.runner import Registration, Runner, worst
from petsage.health.system import EventLoopCheck, EventLoopMonitor, MemoryCheck, UptimeCheck

# Where the app's lifespan leaves the service for the handlers (ASGI lifespan state).
STATE_KEY = "health"


class HealthService:
    """Liveness never touches a dependency: event-loop lag and uptime. Readiness adds memory, the
    configured dependencies and ``extra`` checks, and fails before startup and once draining."""

    def __init__(
        self, config: Health, lifecycle: Lifecycle, extra: Sequence[Registration] = ()
    ) -> None:
        self.lifecycle = lifecycle
        self.monitor = EventLoopMonitor()
        event_loop = Registration(
            EventLoopCheck(
                self.monitor, config.event_loop.warn_after, config.event_loop.fail_after
            ),
            ttl=self.monitor.interval,  # the lag changes no faster than the ticker measures it
            measurement="lag",
        )
        self._liveness = Runner([event_loop, Registration(UptimeCheck())])
        self._readiness = Runner(
            registrations := [
                event_loop,
                Registration(
                    MemoryCheck(config.memory_warn_mib), critical=False, ttl=1.0, measurement="rss"
                ),
                *(check.registration() for check in config.checks),
                *extra,
            ]
        )
        self._closable = [r.check for r in registrations if isinstance(r.check, Closable)]
        self._service_id = config.service_id
        # The last document per probe, with what it was built from: probes within a TTL see the
        # same result objects, so they get the same document without building it again.
        self._last: dict[str, tuple[tuple[object, ...], HealthResponse]] = {}

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[dict[str, HealthService]]:
        """The app's lifespan: measure the event loop while serving; hand the handlers this."""
        self.monitor.start()
        self.lifecycle.started = True
        try:
            yield {STATE_KEY: self}
        finally:
            await self.monitor.stop()
            for check in self._closable:
                await check.aclose()

    async def live(self) -> HealthResponse:
        return self._report("liveness", await self._liveness.run(self._liveness.names))

    async def ready(self, exclude: Iterable[str] = ()) -> HealthResponse:
        """Every readiness check but ``exclude``; raises ``UnknownCheckError`` for a bad name."""
        names = self._readiness.select(exclude)
        if self.lifecycle.draining:
            return self._report("readiness", {}, failure="shutting down")
        if not self.lifecycle.started:
            return self._report("readiness", {}, failure="starting")
        return self._report("readiness", await self._readiness.run(names))

    async def ready_check(self, name: str) -> HealthResponse:
        """One readiness check; raises ``UnknownCheckError`` when none has that name."""
        return self._report(f"readiness check {name}", await self._readiness.run([name]))

    def _report(
        self, what: str, results: dict[str, CheckResult], failure: str | None = None
    ) -> HealthResponse:
        """The document for ``results``; ``failure`` fails it whatever they say."""
        # The cached document holds the result objects, so their ids cannot be reused meanwhile.
        source = (failure, *results, *map(id, results.values()))
        last = self._last.get(what)
        if last is not None and last[0] == source:
            return last[1]
        report = HealthResponse(
            status="fail" if failure else worst(r.status for r in results.values()),
            version="1",
            release_id=__version__,
            service_id=self._service_id,
            description=f"PetSage API {what}",
            output=failure,
            checks={key: [result] for key, result in results.items()},
        )
        self._last[what] = (source, report)
        return report
