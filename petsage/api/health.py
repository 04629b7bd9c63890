"""Handlers of the health probes (tag ``System Health``)."""

from __future__ import annotations

from connexion.context import scope
from connexion.exceptions import BadRequestProblem
from connexion.lifecycle import ConnexionResponse
from connexion.problem import problem

from petsage.api.responses import NO_STORE, HandlerResult, json_response
from petsage.health.models import HealthResponse
from petsage.health.runner import UnknownCheckError
from petsage.health.service import STATE_KEY, HealthService

HEALTH_JSON = "application/health+json"


def _service() -> HealthService:
    # Left in the ASGI lifespan state by the app's lifespan. Read from the scope directly:
    # ``connexion.request`` would build a request object on every probe.
    service: HealthService = scope["state"][STATE_KEY]
    return service


def _answer(report: HealthResponse) -> HandlerResult:
    status = 503 if report.status == "fail" else 200
    return json_response(report, status, NO_STORE, HEALTH_JSON)


async def get_liveness() -> HandlerResult:
    return _answer(await _service().live())


async def get_readiness(exclude: list[str] | None = None) -> HandlerResult:
    try:
        return _answer(await _service().ready(exclude or ()))
    except UnknownCheckError as error:
        raise BadRequestProblem(
            detail=f"Query parameter 'exclude': there is no health check named '{error.name}'"
        ) from None


async def get_readiness_check(check: str) -> HandlerResult | ConnexionResponse:
    try:
        return _answer(await _service().ready_check(check))
    except UnknownCheckError:
        # Returned, not raised: the app's 404 handler would replace the detail with its own.
        return problem(404, "Not Found", f"There is no health check named '{check}'.")
