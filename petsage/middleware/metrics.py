"""Count and time every request by the contract's operation, not by its raw path.

A client sending random paths creates no series: every request no operation matched shares the
``unmatched`` label, and methods outside the common ones count as ``other``.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from petsage.metrics import IN_FLIGHT, REQUEST_DURATION, REQUESTS, UNMATCHED, method_label
from petsage.request_path.operation_id import operation_id, share_routing
from petsage.wire import status_sent


class MetricsMiddleware:
    """Requests by operation, method and status; their durations; how many are in flight."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Looking a labelled child up costs a lock and a tuple per call; these stay bounded by the
        # contract's operations, the methods and the statuses the app sends.
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        share_routing(scope)
        status = 500  # what the client gets when the app fails before it answers

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_observed)
        finally:
            IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            # Inline rather than in helpers: this runs on every request (bench/starvation.py).
            labels = (operation_id(scope) or UNMATCHED, method_label(scope["method"]))
            histogram = self._durations.get(labels)
            if histogram is None:
                histogram = self._durations[labels] = REQUEST_DURATION.labels(*labels)
            histogram.observe(elapsed)
            key = (*labels, status_sent(scope, status))
            counter = self._counters.get(key)
            if counter is None:
                counter = self._counters[key] = REQUESTS.labels(*labels, str(status))
            counter.inc()
