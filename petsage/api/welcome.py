"""Handler of the root welcome (tag ``Welcome``)."""

from __future__ import annotations

from petsage.api.responses import HandlerResult, json_response
from petsage.services.welcome import welcome


async def get_welcome() -> HandlerResult:
    return json_response(welcome())
