"""Problem details (RFC 9457) for the HTTP errors raised before any handler runs.

Uses only Connexion's public ``add_error_handler`` and ``connexion.exceptions.problem``.
"""

from __future__ import annotations

from http import HTTPStatus

from connexion.exceptions import problem
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

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
