"""A connection's deadline, moved on every request and passed rarely: one timer, not one a request.

The HTTP layer sets a deadline for each request's header section and for handing its response
over, and each is met almost always. A ``call_later`` and its ``cancel`` for each cost about 1.6 µs
a pair on uvloop, two pairs a request; here arming or disarming only records when the deadline is
due, and the one timer, when it fires early because the deadline moved, sleeps again until the new
time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Deadline:
    """Calls ``passed`` once ``seconds`` have gone by since the last ``arm``, unless ``disarm``
    (or ``close``) comes first."""

    __slots__ = ("_loop", "_passed", "_timer", "due", "seconds")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, seconds: float, passed: Callable[[], None]
    ) -> None:
        self._loop = loop
        self._passed = passed
        self._timer: asyncio.TimerHandle | None = None
        self.seconds = seconds
        self.due: float | None = None  # the loop's time it passes at; None while disarmed

    @property
    def armed(self) -> bool:
        return self.due is not None

    def arm(self) -> None:
        """Due ``seconds`` from now (again, if it was armed)."""
        self.due = self._loop.time() + self.seconds
        if self._timer is None:
            self._timer = self._loop.call_later(self.seconds, self._fire)

    def disarm(self) -> None:
        self.due = None

    def close(self) -> None:
        """Disarm it and drop the timer: the connection is gone."""
        self.due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        if self.due is None:
            return
        remaining = self.due - self._loop.time()
        if remaining > 0:
            self._timer = self._loop.call_later(remaining, self._fire)
            return
        self.due = None
        self._passed()
