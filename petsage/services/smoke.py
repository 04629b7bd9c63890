"""The smoke test: the process is up and answering. It never touches a dependency."""

from __future__ import annotations

from datetime import UTC, datetime

from petsage.services.models import SmokeTestResponse

MESSAGE = "PetSage system is alive and purring!"


def run_smoke_test() -> SmokeTestResponse:
    """Return ``ok`` with the branding line and the current UTC time."""
    return SmokeTestResponse(status="ok", message=MESSAGE, timestamp=datetime.now(UTC))
