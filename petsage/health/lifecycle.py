"""What the server tells the app about its life: a drain has begun."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Lifecycle:
    """Shared by the server and the apps of one process (the main one and the management one):
    the server's stop signal sets ``draining``, and readiness fails from then on.

    There is no "starting" state to report: uvicorn finishes the app's lifespan before its socket
    listens, and the management listener starts once the main one is serving.
    """

    draining: bool = False
