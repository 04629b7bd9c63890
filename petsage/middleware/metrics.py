"""Count and time every request by the contract's operation, not by its raw path (applied by
``petsage.middleware.edge``).

A client sending random paths creates no series: every request no operation matched shares the
``unmatched`` label, and methods outside the common ones count as ``other``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from starlette.types import Scope

from petsage.metrics import IN_FLIGHT, REQUEST_DURATION, REQUESTS, UNMATCHED, method_label


class RequestMetrics:
    """Requests by operation, method and status; their durations; how many are in flight."""

    def __init__(self) -> None:
        # Looking a labelled child up costs a lock and a tuple per call; these stay bounded by the
        # contract's operations, the methods and the statuses the app sends.
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}

    def started(self) -> None:
        IN_FLIGHT.inc()

    def finished(self, scope: Scope, operation: str | None, status: int, seconds: float) -> None:
        """The request ``scope``, routed to ``operation``, answered ``status`` in ``seconds``."""
        IN_FLIGHT.dec()
        # Inline rather than in helpers: this runs on every request (bench/starvation.py).
        labels = (operation or UNMATCHED, method_label(scope["method"]))
        histogram = self._durations.get(labels)
        if histogram is None:
            histogram = self._durations[labels] = REQUEST_DURATION.labels(*labels)
        histogram.observe(seconds)
        key = (*labels, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = REQUESTS.labels(*labels, str(status))
        counter.inc()
