"""PetSage's outermost layer: what every response carries, and what is written about it.

One layer, one wrapper of ``send`` and one ``finally`` per request, where there were four (the
access log, the metrics, the response hygiene, the drain's ``Connection: close``): the rules of
the log, the metrics and the hygiene are in their own modules (``access_log``, ``metrics``,
``hygiene``). It sits outside Connexion's error layers, so it sees every response PetSage sends,
the server-error layer's 500 included.

While the server drains, the responses of requests that arrive from then on say
``Connection: close``: uvicorn ends a keep-alive connection after such a response, so keep-alive
clients reconnect, and find another replica, without any request being refused. What the HTTP
layer answers on its own (``petsage.protocol.limits``, uvicorn's 400, 500 and 503) closes the
connection already.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from petsage.health.lifecycle import Lifecycle
from petsage.middleware.access_log import AccessLog
from petsage.middleware.hygiene import clean_headers
from petsage.middleware.metrics import RequestMetrics
from petsage.request_path.operation_id import operation_id, share_routing
from petsage.wire import status_sent

CONNECTION_CLOSE = (b"connection", b"close")


class EdgeMiddleware:
    """Cleans each response's headers (``hygiene``), adds ``Connection: close`` to the responses
    of requests that arrive while ``lifecycle`` drains, counts and times each request
    (``metrics``, when given) and writes its access line (``access_log``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        access_log: AccessLog,
        lifecycle: Lifecycle,
        metrics: RequestMetrics | None = None,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.lifecycle = lifecycle
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Read now: a mount further in (the docs) rewrites the scope's paths in place.
        path = scope.get("root_path", "") + scope["path"]
        share_routing(scope)
        closing = self.lifecycle.draining
        status = 0

        async def send_at_the_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = clean_headers(message.get("headers", ()))
                if closing:
                    headers.append(CONNECTION_CLOSE)
                message = {**message, "headers": headers}
            await send(message)

        metrics = self.metrics
        if metrics is not None:
            metrics.started()
        try:
            await self.app(scope, receive, send_at_the_edge)
        finally:
            operation = operation_id(scope)
            # The HTTP layer's own answer, if it gave one, is what the client got.
            status = status_sent(scope, status)
            if metrics is not None:
                # Nothing sent: the server answers 500 (or the client left).
                metrics.finished(scope, operation, status or 500, time.perf_counter() - started)
            self.access_log.write(scope, path, status, operation, started)
