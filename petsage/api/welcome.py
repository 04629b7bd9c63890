"""Handler of the root welcome (tag ``Welcome``)."""

from __future__ import annotations

from petsage.api.responses import HandlerResult, json_response
from petsage.services.welcome import welcome


async def get_welcome() -> HandlerResult:
    return json_response(welcome())


# The contract declares HEAD beside GET for its consumers. Starlette's route for GET also takes
# HEAD, so the GET operation answers it (uvicorn drops the body); Connexion still resolves the
# head operations at startup, to these.
head_welcome = get_welcome
