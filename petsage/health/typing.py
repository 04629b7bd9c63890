"""Every type a plug-in of the health package implements or hands over, in one place.

A readiness check written in Python is a ``Check``; ``Registration`` says how to run it; a check
that holds a connection between runs is also ``Closable``. ``Observer`` and ``HealthObserver``
are what the metrics implement to be told about runs and probe answers. ``petsage.health`` exports
the part a plug-in author needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from petsage.health.models import CheckResult, Status

CheckFunction = Callable[[], Awaitable[CheckResult | None]] | Callable[[], CheckResult | None]


@runtime_checkable
class Check(Protocol):
    """A named check. ``check`` may raise or hang: the runner bounds it and reports ``fail``.

    A check written in Python (``PETSAGE_CHECKS``, ``checks=``) runs on one event loop only, the
    main app's, so it may share the application's pools or hold one bound to that loop; the
    management listener asks that loop for its result and reports ``fail`` with ``main event
    loop busy`` when it does not answer within the timeout (``petsage.health.main_loop``).
    """

    @property
    def name(self) -> str: ...

    async def check(self) -> CheckResult: ...


@runtime_checkable
class Closable(Protocol):
    """A check that holds a connection between runs closes it in ``aclose`` at shutdown, once,
    on the loop it ran on."""

    async def aclose(self) -> None: ...


# How long a check may take when its Registration or its table in the configuration file does not
# say; and for how long its result is reused (0: every probe runs it). A check written in Python
# runs on every probe unless it asks otherwise; one the configuration file declares calls a
# dependency, at most once a second by default however many probes come.
DEFAULT_TIMEOUT = 1.0
DEFAULT_TTL = 0.0
CONFIG_FILE_TTL = 1.0


@dataclass(frozen=True, slots=True)
class Registration:
    """A check and how to run it. A failing check that is not ``critical`` reports ``warn``.

    ``measurement`` names what the check observes: the response key is ``name:measurement``.
    """

    check: Check
    timeout: float = DEFAULT_TIMEOUT
    critical: bool = True
    ttl: float = DEFAULT_TTL
    measurement: str | None = None

    @property
    def key(self) -> str:
        name = self.check.name
        return f"{name}:{self.measurement}" if self.measurement else name


class Observer(Protocol):
    """Told about every run of a check (not about cached answers), e.g. to export metrics."""

    def check_ran(self, name: str, result: CheckResult, seconds: float) -> None: ...


class HealthObserver(Observer, Protocol):
    """Told about every check run and every probe's aggregate status."""

    def probe_answered(self, probe: str, status: Status) -> None: ...
