"""What the server tells the app about its life: startup has finished; a drain has begun."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Lifecycle:
    """Shared by the server and the app of one process; readiness fails unless started and not
    draining. The app's lifespan sets ``started``; the server's stop signal sets ``draining``."""

    started: bool = False
    draining: bool = False
