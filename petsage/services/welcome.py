"""The root welcome: where a newcomer goes next."""

from __future__ import annotations

from petsage import __version__
from petsage.services.models import Welcome, WelcomeLinks

API_BASE = "/api/v1"


def welcome() -> Welcome:
    """Greet, and link to the smoke test, the contract and the docs UI (paths, never hosts)."""
    return Welcome(
        message="Welcome to the PetSage API",
        version=__version__,
        links=WelcomeLinks(
            smokeTest=f"{API_BASE}/smoke-test",
            openapi=f"{API_BASE}/openapi.json",
            docs=f"{API_BASE}/ui/",
        ),
    )
