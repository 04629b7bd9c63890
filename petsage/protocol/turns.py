"""Turns: each event-loop iteration starts at most ``PER_ROUND`` requests, so that it stays short.

One iteration of the loop reads every connection that has something to read and runs every task
that is ready. Under 2,000 busy keep-alive clients that was 2,000 requests, about half a second of
one core, and a new connection needs three iterations (accepted, read, answered): a monitor's
fresh probe waited 1.3-1.8 s (``bench/results/starvation.md``), a liveness check that awaits a few
times longer. Bounding the iteration bounds that wait, whatever the number of busy connections.

A kept-alive connection's next request starts when it arrives if fewer than ``PER_ROUND`` requests
have started in this iteration and none is waiting; otherwise its bytes wait, in arrival order,
and each later iteration starts the next ``PER_ROUND`` of them. A connection's first request never
waits (it counts towards the round): that is the fresh probe. The work is the same, in another
order: throughput does not change, and a busy keep-alive client waits about as long as before,
in a queue instead of behind a long iteration.

An iteration is found with ``loop.call_soon``: a callback scheduled from one iteration runs in
the next (asyncio and uvloop run only the callbacks that were ready when the round began).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

# Requests started per loop iteration at most: 64 smoke tests are about 8 ms of one core, enough
# to spread the loop's own cost per iteration (one poll) thin.
PER_ROUND = 64


class Turns:
    """The requests started in this iteration, and the kept-alive ones waiting for a later one.
    One per listener, used from its loop only."""

    def __init__(self, per_round: int = PER_ROUND) -> None:
        self.per_round = per_round
        self.started = 0
        # Each waiting request's ``take_turn``: starts it, or says False when it is gone meanwhile.
        self.waiting: deque[Callable[[], bool]] = deque()
        self._counting = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Count a request started now (a connection's first one starts whatever the count)."""
        self.started += 1
        if not self._counting:
            self._counting = True
            loop.call_soon(self._next_round, loop)

    def may_start(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether a kept-alive connection's next request starts now (then it is counted) or
        waits its turn (``wait``)."""
        if self.waiting or self.started >= self.per_round:
            return False
        self.start(loop)
        return True

    def wait(self, take_turn: Callable[[], bool]) -> None:
        self.waiting.append(take_turn)

    def _next_round(self, loop: asyncio.AbstractEventLoop) -> None:
        self.started = 0
        while self.waiting and self.started < self.per_round:
            if self.waiting.popleft()():
                self.started += 1
        if self.started:
            loop.call_soon(self._next_round, loop)  # counted until an iteration starts none
        else:
            self._counting = False
