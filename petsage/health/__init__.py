"""Health checks: liveness and readiness, bounded, cached and shared (no HTTP in here).

A check is anything with a ``name`` and an ``async def check() -> CheckResult``; ``named_check``
lifts a plain function into one, and a ``Registration`` says how to run it.
"""

from __future__ import annotations

from petsage.health.checks import Check, named_check
from petsage.health.models import CheckResult
from petsage.health.runner import Registration

__all__ = ["Check", "CheckResult", "Registration", "named_check"]
