"""Handlers of the health probes (tag ``System Health``).

Who gets which document is ``petsage.api.exposure``'s rule: the full document (every check's
result) to the management listener's callers and to a bearer of the health token; the status
and what identifies the service (``HealthSummary``) to anyone else, who also gets no per-check
path (``404`` whatever the name, so that no answer tells which checks exist) and whose
``exclude`` ignores a name no check has rather than confirm it with a ``400``.
"""

from __future__ import annotations

from typing import Literal

from connexion.context import context, scope
from connexion.exceptions import BadRequestProblem
from connexion.lifecycle import ConnexionResponse
from connexion.problem import problem

from petsage.api.exposure import EXPOSURE_STATE, GRANT, Exposure
from petsage.api.responses import NO_STORE, HandlerResult, json_response
from petsage.health.models import HealthResponse
from petsage.health.runner import UnknownCheckError
from petsage.health.service import STATE_KEY, HealthService
from petsage.request_path.problems import ROUTING_DETAILS

HEALTH_JSON = "application/health+json"
# RFC 6750: the scheme, and why the token was refused.
WWW_AUTHENTICATE = 'Bearer realm="petsage-health", error="invalid_token"'


View = Literal["details", "status", "refused"]


def _service() -> HealthService:
    # Left in the ASGI lifespan state by the app's lifespan. Read from the scope directly:
    # ``connexion.request`` would build a request object on every probe.
    service: HealthService = scope["state"][STATE_KEY]
    return service


def _view() -> View:
    """What this caller gets: the full documents, the status only, or a 401 (a wrong token)."""
    exposure: Exposure = scope["state"][EXPOSURE_STATE]
    if exposure.details:
        return "details"
    # Set by Connexion's security layer from ``exposure.token_info`` (absent: no bearer token).
    grant = context.get("token_info", {}).get(GRANT)
    if grant == "granted":
        return "details"
    return "refused" if grant == "refused" else "status"


def _refused() -> ConnexionResponse:
    return problem(
        401,
        "Unauthorized",
        "The bearer token is not valid for the health details; send none for the status only.",
        headers={"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def _answer(report: HealthResponse, view: View) -> HandlerResult:
    status = 503 if report.status == "fail" else 200
    body = report if view == "details" else report.summary
    return json_response(body, status, NO_STORE, HEALTH_JSON)


async def get_liveness() -> HandlerResult | ConnexionResponse:
    if (view := _view()) == "refused":
        return _refused()
    return _answer(await _service().live(), view)


async def get_readiness(exclude: list[str] | None = None) -> HandlerResult | ConnexionResponse:
    if (view := _view()) == "refused":
        return _refused()
    try:
        return _answer(await _service().ready(exclude or (), strict=view == "details"), view)
    except UnknownCheckError as error:
        raise BadRequestProblem(
            detail=f"Query parameter 'exclude': there is no health check named '{error.name}'"
        ) from None


async def get_readiness_check(check: str) -> HandlerResult | ConnexionResponse:
    # Problems returned, not raised: the app's 404 handler would replace the detail with its own.
    if (view := _view()) == "refused":
        return _refused()
    if view == "status":
        return problem(404, "Not Found", ROUTING_DETAILS[404])  # as for a path that is not there
    try:
        return _answer(await _service().ready_check(check), view)
    except UnknownCheckError:
        return problem(404, "Not Found", f"There is no health check named '{check}'.")
