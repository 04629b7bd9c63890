"""What the server does near its connection cap: close idle connections first, then refuse.

A new connection beyond ``soft_cap`` closes connections that have no request in flight (idle
keep-alive ones, and those still sending their headers), the longest waiting first, so that a new
client is answered rather than whoever holds a descriptor longest. Beyond the cap itself a new
connection gets a 503 and is closed. One warning every ``WARN_EVERY`` seconds says so, not one per
connection.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Iterable
from typing import Protocol

WARN_EVERY = 10.0


class Evictable(Protocol):
    def waiting_since(self) -> float | None:
        """When it started waiting for a request (None: a request is in flight or it is closing)."""

    def evict(self) -> None:
        """Close the connection without an answer."""


def soft_cap(cap: int) -> int:
    """Where eviction starts: a tenth of the cap below it, kept free for new clients."""
    return max(1, cap - max(1, cap // 10))


def evict_longest_waiting(connections: Iterable[Evictable], count: int) -> int:
    """Close up to ``count`` waiting connections, the longest waiting first; return how many."""
    waiting = []
    for connection in connections:
        since = connection.waiting_since()
        if since is not None:
            waiting.append((since, id(connection), connection))
    chosen = heapq.nsmallest(count, waiting)
    for _, _, connection in chosen:
        connection.evict()
    return len(chosen)


class CapWarning:
    """Counts evictions and refusals, and logs them at most once every ``WARN_EVERY`` seconds."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.evicted = 0
        self.refused = 0
        self._next_log = 0.0

    def record(self, *, open_connections: int, cap: int, evicted: int, refused: int) -> None:
        self.evicted += evicted
        self.refused += refused
        now = time.monotonic()
        if now < self._next_log or not (self.evicted or self.refused):
            return
        self._next_log = now + WARN_EVERY
        self.logger.warning(
            "Connection cap: %d open of %d; %d waiting connections closed and %d new ones "
            "answered 503 since the last warning",
            open_connections,
            cap,
            self.evicted,
            self.refused,
        )
        self.evicted = self.refused = 0


class Droppable(Protocol):
    def buffered(self) -> int:
        """Bytes of response waiting in its write buffer."""

    def drop(self) -> None:
        """Abort the connection, discarding what waits."""


class SlowReaders:
    """Connections whose clients stopped reading, in the order they stopped. Past ``budget``
    bytes waiting in all their write buffers together, the longest stopped are dropped: a
    thousand clients that each read nothing cannot make the server hold a thousand buffers."""

    def __init__(self) -> None:
        self._paused: dict[Droppable, None] = {}  # insertion-ordered: the longest stopped first

    def paused(self, connection: Droppable, budget: int) -> None:
        self._paused[connection] = None
        waiting = sum(paused.buffered() for paused in self._paused)
        for oldest in list(self._paused):
            if waiting <= budget:
                break
            waiting -= oldest.buffered()
            del self._paused[oldest]
            oldest.drop()

    def resumed(self, connection: Droppable) -> None:
        self._paused.pop(connection, None)
