"""Handler of the metrics scrape (tag ``System Health``)."""

from __future__ import annotations

import asyncio

from connexion.context import scope
from connexion.lifecycle import ConnexionResponse
from connexion.problem import problem
from starlette.responses import Response

from petsage.api.responses import NO_STORE
from petsage.metrics import exposition

# Set by the app's lifespan: whether this listener serves the metrics (the main one does not
# when there is a management listener; none does with PETSAGE_METRICS=false).
METRICS_STATE = "metrics"


async def get_metrics() -> Response | ConnexionResponse:
    if not scope["state"][METRICS_STATE]:
        return problem(404, "Not Found", "This listener serves no metrics.")
    accept = next((v for n, v in scope["headers"] if n == b"accept"), b"").decode("latin-1")
    # In a thread: with several workers the exposition reads every worker's files.
    body, media_type = await asyncio.to_thread(exposition, accept)
    return Response(body, media_type=media_type, headers=NO_STORE)
