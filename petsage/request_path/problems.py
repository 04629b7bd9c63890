"""Problem details (RFC 9457) for the HTTP errors raised before any handler runs.

Uses only Connexion's public ``add_error_handler`` and ``connexion.problem.problem``. A 405's
``Allow`` comes from the contract: Connexion adds one Starlette route per method, and the first
route whose path matches answers 405 with its own method alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from connexion import AsyncApp
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from petsage.contract import document_base_path, operations, path_items, template_pattern
from petsage.request_path.docs import route_path

logger = logging.getLogger("petsage.request_path")

ROUTING_DETAILS = {
    404: "The requested URL was not found on the server.",
    405: "The method is not allowed for the requested URL; the Allow header lists those that are.",
}


class AllowedMethods:
    """The methods each path of the served documents declares (``HEAD`` with ``GET``), by path."""

    def __init__(self, documents: Iterable[Mapping[str, Any]]) -> None:
        declared: dict[str, set[str]] = {}
        for document in documents:
            base = document_base_path(document)
            for path, item in path_items(document):
                methods = declared.setdefault(base + path, set())
                methods.update(method.upper() for method, _ in operations(item))
        for methods in declared.values():
            if "GET" in methods:
                methods.add("HEAD")
        self._paths = [
            (re.compile(template_pattern(path)), methods) for path, methods in declared.items()
        ]

    def allow(self, path: str) -> str | None:
        """``Allow`` for ``path``: every method of each declared path it matches; None if none."""
        methods = set().union(*(found for pattern, found in self._paths if pattern.fullmatch(path)))
        return ", ".join(sorted(methods)) or None


def _routing_problem(allowed: AllowedMethods) -> Any:
    def routing_problem(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        """404 and 405 with a sentence a person can act on; 405 with the contract's ``Allow``."""
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed.allow(route_path(request.scope)) or headers["Allow"]
        return problem(
            status=exc.status_code,
            title=HTTPStatus(exc.status_code).phrase,
            detail=ROUTING_DETAILS[exc.status_code],
            headers=headers,
        )

    return routing_problem


def client_went_away(request: ConnexionRequest, _exc: ClientDisconnect) -> ConnexionResponse:
    """One debug line instead of Connexion's error-level traceback; the problem goes nowhere (the
    server drops what is sent to a client that has gone), but the app returns one."""
    logger.debug("Client %s went away before its request was complete", request.client)
    return problem(
        status=400,
        title=HTTPStatus.BAD_REQUEST.phrase,
        detail="The client went away before its request was complete.",
    )


def add_problem_handlers(app: AsyncApp, documents: Iterable[Mapping[str, Any]] = ()) -> None:
    """Register the handlers above on ``app``, which serves ``documents`` (a 405 for a path none
    declares keeps the ``Allow`` of the route that answered it)."""
    routing_problem = _routing_problem(AllowedMethods(documents))
    for status in ROUTING_DETAILS:
        app.add_error_handler(status, routing_problem)
    app.add_error_handler(ClientDisconnect, client_went_away)
