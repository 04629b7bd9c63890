"""The access log: one line per response, written once it is sent, with the contract's
operation id and the time taken; none for a successful probe unless asked.

It is PetSage's outermost layer (uvicorn's own access log is off), so it sees every response,
those of Connexion's error layers included. A quiet request returns before any record is built.
"""

from __future__ import annotations

import logging
import time
import urllib.parse

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from petsage.request_path.operation_id import operation_id, share_routing
from petsage.wire import status_sent

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


class AccessLogMiddleware:
    """Logs each HTTP response to ``petsage.access`` at ``info``, but those of
    ``quiet_operations`` (operationIds) answered below 400."""

    def __init__(self, app: ASGIApp, *, quiet_operations: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.quiet = quiet_operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Read now: a mount further in (the docs) rewrites the scope's paths in place.
        path = scope.get("root_path", "") + scope["path"]
        share_routing(scope)
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            operation = operation_id(scope)
            status = status_sent(scope, status)
            if not (0 < status < 400 and operation in self.quiet) and logger.isEnabledFor(
                logging.INFO
            ):
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
