"""Check names, and ``named_check``: a plain function lifted into a ``Check``, as Kubernetes'
``healthz.NamedCheck`` does."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from petsage.health.models import CheckResult
from petsage.health.typing import Check, CheckFunction

# Names appear in URLs and in the response keys: short lowercase words joined by hyphens.
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 63  # a DNS label's: a name fits wherever a label does


def validate_name(name: str) -> str:
    """``name`` itself; raises ``ValueError`` when it is not a short lowercase-hyphenated word."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
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
