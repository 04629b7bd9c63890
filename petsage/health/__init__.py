"""Health checks: liveness and readiness, bounded, cached and shared (no HTTP in here).

The plug-in contract: a check is anything with a ``name`` and an ``async def check() ->
CheckResult`` (``Check``); ``named_check`` lifts a plain function into one; a ``Registration``
says how to run it; a check that holds a connection is also ``Closable``, and its ``aclose`` runs
at shutdown. Each type is defined in ``petsage.health.typing``.
"""

from __future__ import annotations

from petsage.health.checks import named_check
from petsage.health.models import CheckResult
from petsage.health.typing import Check, Closable, Registration

__all__ = ["Check", "CheckResult", "Closable", "Registration", "named_check"]
