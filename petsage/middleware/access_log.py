"""The access log: one line per response, written once it is sent, with the contract's
operation id and the time taken; none for a successful probe unless asked.

``petsage.middleware.edge``, PetSage's outermost layer (uvicorn's own access log is off), writes
it, so it covers every response, those of Connexion's error layers included. A quiet request
returns before any record is built.
"""

from __future__ import annotations

import logging
import time
import urllib.parse

from starlette.types import Scope

ACCESS_LOGGER = "petsage.access"
# The access line's arguments, in order: the names JSON logs give them.
FIELDS = ("client", "method", "path", "httpVersion", "status", "operationId", "durationMs")
LINE = '%s - "%s %s HTTP/%s" %d %s %.1f ms'

logger = logging.getLogger(ACCESS_LOGGER)


def _target(path: str, query: bytes) -> str:
    # As uvicorn's access log writes it: the path quoted, the query string as received.
    quoted = urllib.parse.quote(path)
    return f"{quoted}?{query.decode('ascii', 'replace')}" if query else quoted


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


class AccessLog:
    """Logs each HTTP response to ``petsage.access`` at ``info``, but those of
    ``quiet_operations`` (operationIds) answered below 400."""

    def __init__(self, quiet_operations: frozenset[str] = frozenset()) -> None:
        self.quiet = quiet_operations

    def write(
        self, scope: Scope, path: str, status: int, operation: str | None, started: float
    ) -> None:
        """The line of the request ``scope`` for ``path`` (as received), answered ``status``
        (0: nothing was sent) by ``operation``, which started at ``started`` (perf_counter)."""
        if (0 < status < 400 and operation in self.quiet) or not logger.isEnabledFor(logging.INFO):
            return
        logger.info(
            LINE,
            _client(scope),
            scope["method"],
            _target(path, scope["query_string"]),
            scope["http_version"],
            status or 500,  # nothing sent: the server answers 500 (or the client left)
            operation or "-",
            (time.perf_counter() - started) * 1e3,
        )
