"""The checker interface, in the spirit of Kubernetes' ``healthz.HealthChecker``."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

from petsage.health.models import CheckResult

# Names appear in URLs and in the response keys: short lowercase words joined by hyphens.
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

CheckFunction = Callable[[], Awaitable[CheckResult | None]] | Callable[[], CheckResult | None]


class Check(Protocol):
    """A named check. ``check`` may raise or hang: the runner bounds it and reports ``fail``."""

    @property
    def name(self) -> str: ...

    async def check(self) -> CheckResult: ...


@runtime_checkable
class Closable(Protocol):
    """A check that holds a connection between runs closes it in ``aclose`` at shutdown."""

    async def aclose(self) -> None: ...


def validate_name(name: str) -> str:
    """``name`` itself; raises ``ValueError`` when it is not a short lowercase-hyphenated word."""
    if len(name) > 63 or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"check name {name!r} is not lowercase words joined by hyphens")
    return name


@dataclass(frozen=True, slots=True)
class _FunctionCheck:
    name: str
    function: CheckFunction

    async def check(self) -> CheckResult:
        if inspect.iscoroutinefunction(self.function):
            outcome = await cast(Callable[[], Awaitable[CheckResult | None]], self.function)()
        else:
            # In a thread, so that a blocking function cannot stall the event loop past its timeout.
            outcome = await asyncio.to_thread(cast(Callable[[], CheckResult | None], self.function))
        return outcome if outcome is not None else CheckResult()


def named_check(name: str, function: CheckFunction) -> Check:
    """Lift a plain function into a check: returning ``None`` means pass, raising means fail.

    The function may be ``async`` or not; a plain one runs in a worker thread.
    """
    return _FunctionCheck(validate_name(name), function)
