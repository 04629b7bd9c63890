"""The root welcome: where a newcomer goes next."""

from __future__ import annotations

from petsage import __version__
from petsage.contract import base_path
from petsage.services.models import Welcome, WelcomeLinks


def welcome() -> Welcome:
    """Greet, and link to the smoke test, the contract and the docs UI (paths, never hosts)."""
    api = base_path()
    return Welcome(
        message="Welcome to the PetSage API",
        version=__version__,
        links=WelcomeLinks(
            smokeTest=f"{api}/smoke-test",
            openapi=f"{api}/openapi.json",
            docs=f"{api}/ui/",
        ),
    )
