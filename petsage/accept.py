"""Fair accept: new connections taken from the listen queue in batches, however busy the loop is.

uvloop (libuv 1.45 and later) accepts one connection per event-loop iteration, and one iteration
serves every busy keep-alive connection: under 2,000 of them a new connection waited seconds in the
kernel's listen queue (``bench/results/starvation.md``). ``BatchAcceptor`` watches a non-blocking
duplicate of each listening socket with ``loop.add_reader`` and, whenever one is readable, accepts
up to ``BATCH`` connections at once (what the standard-library loop does) and hands each to the
loop with ``loop.connect_accepted_socket`` and the server's own protocol factory. It takes no more
than ``room()`` says: near the connection cap it leaves the queue to the loop's own listener, one
connection an iteration, so that the HTTP layer's eviction (``petsage.protocol.capacity``) sees each
evicted connection gone before the next one arrives. The server's own
listener goes on accepting one per iteration beside it; the kernel gives each connection to one
of them. With several worker processes sharing the socket each worker has its own acceptor, and
a worker that loses the race for a connection gets ``EAGAIN`` and waits for the next.

Only the standard library and the loop's public API: ``add_reader``, ``remove_reader``,
``connect_accepted_socket`` (a coroutine, stepped as a task would step it, see ``_step``; from
Python 3.12 an eager task does the same).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any

BATCH = 128  # connections accepted per readiness event at most; the loop then serves the rest
RETRY_SECONDS = 0.5  # after an error accept cannot wait out (no descriptor left), before retrying

logger = logging.getLogger("uvicorn.error")


class BatchAcceptor:
    """Accepts on duplicates of ``listeners`` into ``loop``, each connection served by a protocol
    from ``protocol_factory``, at most ``room()`` at a time, until ``close``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        listeners: Sequence[socket.socket],
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        room: Callable[[], int] = lambda: BATCH,
    ) -> None:
        self.loop = loop
        self.protocol_factory = protocol_factory
        self.room = room
        self.listeners = [_duplicate(listener) for listener in listeners]
        self.closed = False
        for listener in self.listeners:
            loop.add_reader(listener.fileno(), self._accept_batch, listener)

    def _accept_batch(self, listener: socket.socket) -> None:
        for _ in range(min(BATCH, self.room())):
            try:
                connection, _address = listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # the queue is empty (or another worker took it), or the client left
            except OSError as error:
                # Out of descriptors, say: stop watching for a moment rather than spin; the
                # server's own listener, which reserves a descriptor for this, goes on.
                logger.warning("Accepting a connection failed (%s); retrying shortly", error)
                self.loop.remove_reader(listener.fileno())
                self.loop.call_later(RETRY_SECONDS, self._resume, listener)
                return
            self._hand_off(connection)

    def _resume(self, listener: socket.socket) -> None:
        if not self.closed:
            self.loop.add_reader(listener.fileno(), self._accept_batch, listener)

    def _hand_off(self, connection: socket.socket) -> None:
        connection.setblocking(False)
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            # As the loop's own listener sets it: a response is not held back for more data.
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        starting = self.loop.connect_accepted_socket(self.protocol_factory, sock=connection)
        _step(starting, connection)

    def close(self) -> None:
        """Stop accepting: the listen queue is left to the server's shutdown."""
        self.closed = True
        for listener in self.listeners:
            self.loop.remove_reader(listener.fileno())
            listener.close()


def _step(
    starting: Coroutine[Any, Any, object], connection: socket.socket, _done: object = None
) -> None:
    """Run ``starting`` (``connect_accepted_socket``) on to its next wait, and on again once that
    is over, as a task would, but from here rather than from the loop's next round of callbacks:
    the transport exists, and its ``connection_made`` is scheduled, in the iteration that accepted
    the connection (as for the loop's own listener), a whole iteration earlier than through a task,
    and an iteration is as long as serving every busy connection once."""
    try:
        waiting = starting.send(None)
    except StopIteration:
        return  # the transport serves the connection
    except (Exception, asyncio.CancelledError):
        connection.close()  # the client left before the transport was made, or shutdown
        return
    waiting.add_done_callback(partial(_step, starting, connection))


def _duplicate(listener: socket.socket) -> socket.socket:
    """A socket object on a new descriptor for the same listening socket, non-blocking (the loop
    may hand out a read-only wrapper of its own)."""
    duplicate = socket.fromfd(listener.fileno(), listener.family, listener.type)
    duplicate.setblocking(False)
    return duplicate
