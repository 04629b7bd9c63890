"""Liveness and readiness: which checks each runs, and the documents they answer with."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence

from petsage import __version__
from petsage.health.config import Health
from petsage.health.lifecycle import Lifecycle
from petsage.health.main_loop import MainLoop, local_runs
from petsage.health.models import CheckResult, HealthResponse
from petsage.health.runner import Runner, worst
from petsage.health.system import (
    SHUTDOWN,
    EventLoopCheck,
    EventLoopMonitor,
    MemoryCheck,
    ShutdownCheck,
    UptimeCheck,
)
from petsage.health.typing import Closable, HealthObserver, Registration

# Where the app's lifespan leaves the service for the handlers (ASGI lifespan state).
STATE_KEY = "health"
_PROBES = frozenset({"liveness", "readiness"})


class HealthService:
    """Liveness never touches a dependency: event-loop lag and uptime. Readiness adds ``shutdown``
    (failing once draining), memory, the configured dependencies and ``extra`` checks.

    ``monitor`` is the ticker whose lag the probes report (a new one by default). The ``main``
    app's service runs it on its loop; the management listener's (not ``main``) reads the main
    loop's ticker from another thread.

    ``main_loop``: the ``extra`` checks run on the main event loop only
    (``petsage.health.main_loop``). The ``main`` service runs them itself and attaches its runner
    to ``main_loop`` while it serves; any other service asks through it.
    Each service closes the ``Closable`` checks it built (those of ``config``, one set per
    service), and the main one the ``extra`` ones too.
    """

    def __init__(
        self,
        config: Health,
        lifecycle: Lifecycle,
        extra: Sequence[Registration] = (),
        *,
        monitor: EventLoopMonitor | None = None,
        main: bool = True,
        observer: HealthObserver | None = None,
        main_loop: MainLoop | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self._main = main
        self._main_loop = main_loop or MainLoop()
        proxies = [] if main else self._main_loop.proxies(extra)
        self.monitor = monitor or EventLoopMonitor()
        self._observer = observer
        event_loop = Registration(
            EventLoopCheck(
                self.monitor, config.event_loop.warn_after, config.event_loop.fail_after
            ),
            ttl=self.monitor.interval,  # the lag changes no faster than the ticker measures it
            measurement="lag",
        )
        self._liveness = Runner([event_loop, Registration(UptimeCheck())], observer=observer)
        self._readiness = Runner(
            registrations := [
                Registration(ShutdownCheck(lifecycle), timeout=0.1),
                event_loop,
                Registration(
                    MemoryCheck(config.memory_warn_mib), critical=False, ttl=1.0, measurement="rss"
                ),
                *(check.registration() for check in config.checks),
                *(extra if main else proxies),
            ],
            observer=local_runs(observer, proxies),
        )
        self._closable = [r.check for r in registrations if isinstance(r.check, Closable)]
        self._service_id = config.service_id
        # The last document per probe, with what it was built from: probes within a TTL see the
        # same result objects, so they get the same document without building it again.
        self._last: dict[str, tuple[tuple[object, ...], HealthResponse]] = {}

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[dict[str, HealthService]]:
        """The app's lifespan: measure the event loop while serving; hand the handlers this."""
        if self._main:
            self.monitor.start()
            self._main_loop.attach(self._readiness.run)
        try:
            yield {STATE_KEY: self}
        finally:
            if self._main:
                self._main_loop.detach()
                await self.monitor.stop()
            for check in self._closable:
                await check.aclose()

    async def live(self) -> HealthResponse:
        return self._report("liveness", await self._liveness.run(self._liveness.names))

    async def ready(self, exclude: Iterable[str] = (), *, strict: bool = True) -> HealthResponse:
        """Every readiness check but ``exclude``; raises ``UnknownCheckError`` for a bad name
        unless not ``strict`` (then a name no check has is ignored).

        While draining the document fails with ``output`` ``shutting down`` even when
        ``shutdown`` itself is excluded, and keeps the other checks' results."""
        names = self._readiness.select(exclude, strict=strict)
        return self._report("readiness", await self._readiness.run(names), self._draining())

    async def ready_check(self, name: str) -> HealthResponse:
        """One readiness check; raises ``UnknownCheckError`` when none has that name. While
        draining it fails as ``ready`` does, with the ``shutdown`` result beside the check's."""
        names = [name, SHUTDOWN] if self.lifecycle.draining and name != SHUTDOWN else [name]
        results = await self._readiness.run(names)
        return self._report(f"readiness check {name}", results, self._draining())

    def _draining(self) -> str | None:
        return "shutting down" if self.lifecycle.draining else None

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
        if self._observer is not None and what in _PROBES:
            self._observer.probe_answered(what, report.status)
        return report
