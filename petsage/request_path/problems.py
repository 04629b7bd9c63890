"""Problem details (RFC 9457) for the HTTP errors raised before any handler runs.

Uses only Connexion's public ``add_error_handler`` and ``connexion.problem.problem``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from connexion import AsyncApp
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

logger = logging.getLogger("petsage.request_path")

ROUTING_DETAILS = {
    404: "The requested URL was not found on the server.",
    405: "The method is not allowed for the requested URL; the Allow header lists those that are.",
}


def routing_problem(_request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
    """404 and 405 with a sentence a person can act on; 405 keeps its ``Allow`` header."""
    return problem(
        status=exc.status_code,
        title=HTTPStatus(exc.status_code).phrase,
        detail=ROUTING_DETAILS[exc.status_code],
        headers=exc.headers,
    )


def client_went_away(request: ConnexionRequest, _exc: ClientDisconnect) -> ConnexionResponse:
    """One debug line instead of Connexion's error-level traceback; the problem goes nowhere (the
    server drops what is sent to a client that has gone), but the app returns one."""
    logger.debug("Client %s went away before its request was complete", request.client)
    return problem(
        status=400,
        title=HTTPStatus.BAD_REQUEST.phrase,
        detail="The client went away before its request was complete.",
    )


def add_problem_handlers(app: AsyncApp) -> None:
    """Register the handlers above on ``app``."""
    for status in ROUTING_DETAILS:
        app.add_error_handler(status, routing_problem)
    app.add_error_handler(ClientDisconnect, client_went_away)
