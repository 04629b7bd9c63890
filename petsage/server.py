"""Run the app under uvicorn with the settings the service ships."""

from __future__ import annotations

import asyncio
import os
from functools import partial
from typing import cast

import uvicorn

from petsage.settings import Settings
from petsage.web.protocol import HttpLimits, LimitedHttpToolsProtocol

APP_FACTORY = "petsage.app:app_from_environment"


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``PETSAGE_*`` variables, so every worker process loads exactly these."""
    return {
        f"PETSAGE_{name.upper()}": str(value)
        for name, value in settings.model_dump(mode="json").items()
    }


def serve(settings: Settings) -> None:
    """Serve until stopped: httptools and uvloop, lifespan on so a contract that does not bind to
    its handlers fails at startup rather than as 500s."""
    os.environ.update(settings_environment(settings))
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        # httptools with bounds on each request; a partial of a module-level class pickles into
        # every worker process, and uvicorn only ever calls it like the class.
        http=cast(
            type[asyncio.Protocol],
            partial(LimitedHttpToolsProtocol, limits=HttpLimits.from_settings(settings)),
        ),
        loop="uvloop",
        lifespan="on",
        server_header=False,
    )
