"""uvicorn's httptools protocol with the bounds it lacks (uvicorn#157).

Every request is held to a header size, a header count, a request-target length, a deadline to
finish its header section, and RFC 9112's ``Host`` rules (``petsage.protocol.rules``); what fails
is answered with problem+json and the connection closed, before the app sees anything. uvicorn's
own 400 for bytes that are not HTTP/1.x is answered the same way instead of text/plain. A body is
held to a size and a deadline, a response to a deadline for the client to read it (and each
socket's kernel send buffer to a size), and the process to a number of connections
(``capacity``). Each answer it writes itself is logged once (uvicorn's own warning for a parser
error is dropped by ``petsage.logs``) and counted through ``Listener.answered``; one given while
the app holds the request is left to the app's access log and metrics
(``petsage.wire.status_sent``).

uvicorn's ``timeout_keep_alive`` runs only from a response to the first byte of the next request:
nothing bounds a connection before its first request, or while its headers drip in (slowloris),
or while its body does, or while its client does not read.

Relies on (uvicorn ``~=0.54.0``, httptools): ``HttpToolsProtocol``'s connection and parser
callbacks, overridden with their signatures (``connection_made``, ``connection_lost``,
``data_received``, ``on_message_begin``, ``on_url``, ``on_header``, ``on_headers_complete``,
``on_body``, ``on_message_complete``, ``on_response_complete``, ``pause_writing``,
``resume_writing``, ``_start_asgi_task``, ``shutdown``) and ``send_400_response(msg)``, through
which ``data_received`` answers every parser error, an exception raised from a callback included,
after logging ``PARSER_ERROR_LINE`` as a warning on ``self.logger``; the attributes it reads:
``parser`` (``get_http_version``, ``get_method``), ``url``, ``headers``, ``transport``, ``flow``
(``pause_reading``), ``pipeline`` (a deque of ``(cycle, app)``, the next one on its right),
``cycle`` (a ``RequestResponseCycle``: ``more_body``, ``response_started``,
``response_complete``, ``disconnected``, ``message_event``, ``scope``),
``timeout_keep_alive_task`` (set once a keep-alive response is done),
``server_state.default_headers`` and ``server_state.connections``, ``loop``, ``logger``,
``client``; and that every write, the cycles' included, goes through the transport
``connection_made`` is given (``petsage.protocol.coalescing`` stands in for it), and
``_unset_keepalive_if_required`` (a request waiting its turn stops the keep-alive timer).
``tests/unit/test_protocol_seams.py`` reads those names from
this module's source and fails when a stock protocol lacks one or an override's signature
differs; ``tests/unit/test_protocol.py`` drives the protocol in process (a mock transport and
loop), and ``tests/live/test_malformed_input.py``, ``tests/live/test_slow_clients.py``,
``tests/live/test_bodies.py`` and ``tests/live/test_connection_cap.py`` fail when the behaviour
changes against a real server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from petsage.protocol.capacity import CapWarning, SlowReaders, evict_longest_waiting, soft_cap
from petsage.protocol.coalescing import CoalescingTransport
from petsage.protocol.deadlines import Deadline
from petsage.protocol.rules import (
    declared_length,
    framing_problem,
    has_bad_percent,
    header_section_bytes,
    host_problem,
)
from petsage.protocol.turns import Turns
from petsage.wire import NOSNIFF, PROBLEM_JSON, carries_body, mark_answered_by_server, reason

_NOT_HTTP = "The request is not valid HTTP/1.1."
_FULL = "The server has too many open connections; retry shortly."
# What uvicorn logs before it calls send_400_response: the protocol logs its own line instead, and
# the logging configuration (``petsage.logs``) drops uvicorn's.
PARSER_ERROR_LINE = "Invalid HTTP request received."
# After a problem is written, the write side is shut and what the client still sends is read and
# dropped for up to this long before the close: closing with unread bytes would send a reset,
# which can destroy the answer before the client reads it (RFC 9112 §9.6, a "lingering close").
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024  # and for no more than this: a client that keeps sending is cut off


@dataclass(frozen=True)
class HttpLimits:
    """What one request may make the server hold, and which hosts it may name: values the
    composition root (``petsage.server.http_limits``) derives from the settings and the contract.

    ``monitoring_paths``: the paths on which an unlisted IP literal is accepted in ``Host``."""

    max_header_bytes: int
    max_header_count: int
    max_url_bytes: int
    header_timeout: float
    allowed_hosts: tuple[str, ...]
    max_body_bytes: int
    body_timeout: float
    send_timeout: float
    send_buffer_bytes: int
    socket_send_buffer_bytes: int
    max_connections: int
    monitoring_paths: re.Pattern[bytes]


@dataclass
class Listener:
    """What the connections of one listening socket share: the clients that stopped reading
    (their send buffers' budget), the connection cap's warning, the requests' turns in each
    iteration of the loop (``petsage.protocol.turns``), and ``answered(method, status)``,
    called for each answer the HTTP layer writes itself to a request the app never held
    (``method``: "" when none was parsed). The composition root builds one per listener; a worker
    process gets its own copy."""

    answered: Callable[[str, int], None] | None = None
    slow_readers: SlowReaders = field(default_factory=SlowReaders)
    turns: Turns = field(default_factory=Turns)
    cap_warning: CapWarning = field(
        default_factory=lambda: CapWarning(logging.getLogger("uvicorn.error"))
    )


class _RejectedError(Exception):
    """Raised from a parser callback to stop parsing; ``send_400_response`` answers ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def problem_bytes(status: int, detail: str, extra_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete problem+json response that closes the connection; the status line's reason
    phrase is the body's title."""
    title = reason(status)
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        *extra_headers,
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        NOSNIFF,
        (b"connection", b"close"),
    ]
    status_line = f"HTTP/1.1 {status} {title}\r\n".encode()
    lines = [name + b": " + value + b"\r\n" for name, value in headers]
    return b"".join([status_line, *lines, b"\r\n", body])


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """Served with ``uvicorn.run(http=partial(LimitedHttpToolsProtocol, limits=...,
    listener=...))``."""

    def __init__(self, *args: Any, limits: HttpLimits, listener: Listener, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.listener = listener
        self._rejection: _RejectedError | None = None
        self._header_deadline = Deadline(self.loop, limits.header_timeout, self._header_passed)
        self._body_deadline = Deadline(self.loop, limits.body_timeout, self._body_passed)
        self._send_deadline = Deadline(self.loop, limits.send_timeout, self._send_passed)
        self._in_header_section = True
        self._header_bytes = 0
        self._header_count = 0
        # Every byte of the header section so far, as read: what httptools is still accumulating
        # (a name or value no callback has shown yet) included.
        self._section_bytes = 0
        self._began_in_read = False
        self._body_bytes = 0
        self._waiting_since: float | None = None
        self._running_cycle: RequestResponseCycle | None = None
        # A problem found while earlier pipelined requests are still being answered waits for them.
        self._deferred_problem: bytes | None = None
        self._linger: asyncio.TimerHandle | None = None
        self._lingered = 0  # bytes dropped since the problem was written
        self._method_parsed = False  # this request's line is parsed up to its target
        # Before a request: its first bytes start it in this iteration of the loop, or, on a
        # kept-alive connection, may have to wait their turn (``petsage.protocol.turns``) in
        # ``_waiting_turn``.
        self._between_requests = True
        self._kept_alive = False
        self._waiting_turn: bytes | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(
            cast("asyncio.Transport", CoalescingTransport(transport, self.loop))
        )
        if self.limits.socket_send_buffer_bytes:
            # Left to itself Linux grows it to 4 MiB: a thousand stopped readers, 4 GB of kernel
            # memory, filled as fast as the server can write (all CPU, probes late).
            size = self.limits.socket_send_buffer_bytes
            transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        self._waiting_since = self.loop.time()
        if self._make_room():
            self._header_deadline.arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        self._waiting_turn = None
        self._header_deadline.close()
        self._body_deadline.close()
        self._send_deadline.close()
        self.listener.slow_readers.resumed(self)
        # uvicorn marks only the last request parsed: with pipelining, the one being answered
        # would go on writing to the closed transport (and log a RuntimeError's traceback).
        running = self._running_cycle
        if running is not None and not running.response_complete:
            running.disconnected = True
        super().connection_lost(exc)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        self._running_cycle = cycle
        super()._start_asgi_task(cycle, app)

    def data_received(self, data: bytes) -> None:
        if self._linger is not None:
            self._lingered += len(data)
            if self._lingered > LINGER_BYTES:
                self.transport.close()
            return
        if self._deferred_problem is not None or self.transport.is_closing():
            return  # the request stream is already known to be bad: nothing more is parsed
        if self._waiting_turn is not None:
            self._waiting_turn += data  # pipelined: it waits too, and nothing more is read
            self.flow.pause_reading()
            return
        if self._between_requests:
            turns = self.listener.turns
            if not self._kept_alive:
                turns.start(self.loop)  # a connection's first request never waits
            elif not turns.may_start(self.loop):
                self._wait_turn(data)
                return
            self._between_requests = False
        self._parse(data)

    def _parse(self, data: bytes) -> None:
        self._began_in_read = False
        super().data_received(data)
        if not self._in_header_section or self.transport.is_closing():
            return
        self._section_bytes = header_section_bytes(
            data, self._section_bytes, began_in_read=self._began_in_read
        )
        if self._section_bytes > self.limits.max_header_bytes:
            self._send_problem(431, "The request header section is too large.")

    def _wait_turn(self, data: bytes) -> None:
        self._waiting_turn = data
        # Neither the keep-alive timeout nor the header deadline runs while it waits: it is the
        # server's turn, not the client's.
        self._unset_keepalive_if_required()
        self._header_deadline.disarm()
        self.listener.turns.wait(self._take_turn)

    def _take_turn(self) -> bool:
        """Start the request that waits its turn; False when there is none any more."""
        data, self._waiting_turn = self._waiting_turn, None
        if data is None or self.transport.is_closing():
            return False
        self._between_requests = False
        self.flow.resume_reading()
        self._header_deadline.arm()
        self._parse(data)
        return True

    def shutdown(self) -> None:
        # A request that waits its turn is answered (with ``Connection: close``), as one that
        # started is: its client sent it before the server began to stop.
        self._take_turn()
        super().shutdown()

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this for any parser error, ours (raised from a callback) included.
        rejection, self._rejection = self._rejection, None
        if rejection is None:
            self._send_problem(400, _NOT_HTTP)
        else:
            self._send_problem(rejection.status, rejection.detail)

    # Parser callbacks.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_header_section = self._began_in_read = True
        self._header_bytes = self._header_count = self._body_bytes = 0
        self._method_parsed = False

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._method_parsed = True
        if len(self.url) > self.limits.max_url_bytes:
            self._reject(414, "The request target is too long.")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        self._header_count += 1
        if self._header_count > self.limits.max_header_count:
            self._reject(431, "The request has too many header fields.")
        if self._header_bytes > self.limits.max_header_bytes:
            self._reject(431, "The request header section is too large.")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_header_section = False
        self._header_deadline.disarm()
        version = self.parser.get_http_version()
        if version not in ("1.0", "1.1"):
            self._reject(400, "Only HTTP/1.0 and HTTP/1.1 are served on this port.")
        if has_bad_percent(self.url):
            self._reject(400, "The request target has an invalid percent-encoding.")
        limits = self.limits
        problem = host_problem(
            self.headers,
            self.url,
            version,
            limits.allowed_hosts,
            limits.monitoring_paths,
        ) or framing_problem(self.headers)
        if problem is not None:
            self._reject(400, problem)
        length = declared_length(self.headers)
        if length is not None and length > limits.max_body_bytes:
            self._reject(413, self._too_large)
        super().on_headers_complete()
        if carries_body(self.headers):
            self._body_deadline.arm()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:
            self._reject(413, self._too_large)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._body_deadline.disarm()
        super().on_message_complete()
        self._arm_send_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting_since = self.loop.time()
        if not self.flow.write_paused:
            # Handed over whole: the next request in flight (pipelined) gets its own deadline.
            self._send_deadline.disarm()
            if self._request_in_flight():
                self._arm_send_deadline()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and cycle.response_complete and cycle.more_body:
            # Answered before its body arrived: keeping the connection would mean reading the
            # rest first, and a body that never comes would hold it.
            self._close_lingering()
        elif self._deferred_problem is not None and not self.pipeline:
            self._write_problem_and_close(self._deferred_problem)
        elif self.timeout_keep_alive_task is not None:
            # uvicorn armed its keep-alive timer: the connection now waits for a next request.
            self._header_deadline.arm()
            self._between_requests = self._kept_alive = True

    @property
    def _too_large(self) -> str:
        return f"The request body is larger than {self.limits.max_body_bytes} bytes."

    def _reject(self, status: int, detail: str) -> NoReturn:
        self._rejection = _RejectedError(status, detail)
        raise self._rejection

    def _send_problem(self, status: int, detail: str) -> None:
        response = problem_bytes(status, detail, self.server_state.default_headers)
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not cycle.response_started:
            # The fault is in this request's own body: it gets the problem instead of an answer.
            self._answer_instead_of_app(cycle, status, detail)
        else:
            self._record(status, detail)
        running = self._running_cycle
        if self.pipeline or (
            running is not None and not running.response_complete and not running.disconnected
        ):
            # Answer the requests parsed before the fault first: responses go in request order.
            self._deferred_problem = response
            self.flow.pause_reading()
            return
        self._write_problem_and_close(response)

    def _answer_instead_of_app(self, cycle: RequestResponseCycle, status: int, detail: str) -> None:
        queued = [entry for entry in self.pipeline if entry[0] is cycle]
        if queued:
            # Still waiting its turn: it never reaches the app.
            self.pipeline.remove(queued[0])
            self._record(status, detail)
            return
        # The app holds it: what it sends goes nowhere, and its access log and metrics record
        # this status (``petsage.wire.status_sent``).
        cycle.disconnected = True
        cycle.message_event.set()  # a receive() waiting for the body returns http.disconnect now
        mark_answered_by_server(cast("MutableMapping[str, Any]", cycle.scope), status)

    def _record(self, status: int, detail: str) -> None:
        """Log and count an answer of the HTTP layer to a request the app never held."""
        self.logger.info("Rejected request from %s: %d %s", self.client, status, detail)
        if self.listener.answered is not None:
            parsed = self._method_parsed
            method = self.parser.get_method().decode("ascii", "replace") if parsed else ""
            self.listener.answered(method, status)

    def _write_problem_and_close(self, response: bytes) -> None:
        self.transport.write(response)
        self._close_lingering()

    def _close_lingering(self) -> None:
        """Shut the write side once what is written has gone, drop what still arrives, then close:
        what the client sent unread would otherwise reset the connection under the answer."""
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        # Read (and drop) again if reading was paused for a deferred problem; the client's own
        # end of stream closes the transport at once (``eof_received`` asks for no half-open).
        self.flow.resume_reading()

    # Near the connection cap (petsage.protocol.capacity).
    def _make_room(self) -> bool:
        """Evict waiting connections near the cap, refuse this one beyond it; whether it stays."""
        cap = self.limits.max_connections
        open_now, evicted = len(self.connections), 0
        if open_now > soft_cap(cap):
            # A batch at a time, so that the search runs once per batch of new connections.
            others = (
                c
                for c in self.connections
                if isinstance(c, LimitedHttpToolsProtocol) and c is not self
            )
            evicted = evict_longest_waiting(others, open_now - soft_cap(cap) + cap // 50)
        refused = open_now - evicted > cap
        if evicted or refused:
            self.listener.cap_warning.record(
                open_connections=open_now - evicted, cap=cap, evicted=evicted, refused=int(refused)
            )
        if refused:
            self._record(503, _FULL)
            self.transport.write(problem_bytes(503, _FULL, self.server_state.default_headers))
            self.transport.close()
        return not refused

    def waiting_since(self) -> float | None:
        """When it began waiting for a request; None while one is in flight, or once closing."""
        if self.transport.is_closing() or self.pipeline or self._waiting_turn is not None:
            return None
        if self.cycle is not None and not self.cycle.response_complete:
            return None
        return self._waiting_since

    def evict(self) -> None:
        self.transport.close()

    # Deadlines.
    def _body_passed(self) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # answered already (on_response_complete closes it then)
        else:
            detail = f"The request body did not arrive within {self.limits.body_timeout:g} s."
            self._send_problem(408, detail)

    # A response must be handed over whole (written, the write buffer drained to the kernel)
    # within send_timeout of its request; a client that reads slowly or not at all keeps the
    # write buffer full (paused) and loses the connection then, or sooner past the budget.
    def _arm_send_deadline(self) -> None:
        if not self._send_deadline.armed:
            self._send_deadline.arm()

    def _request_in_flight(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm_send_deadline()
        self.listener.slow_readers.paused(self, self.limits.send_buffer_bytes)

    def resume_writing(self) -> None:
        super().resume_writing()
        self.listener.slow_readers.resumed(self)
        if not self._request_in_flight():
            self._send_deadline.disarm()

    def _send_passed(self) -> None:
        self.logger.debug("Dropped %s: it did not read its response in time", self.client)
        self.drop()

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()

    def drop(self) -> None:
        self.transport.abort()  # close() would wait for the unread bytes to be flushed

    def _header_passed(self) -> None:
        # Idle, or dripping its headers (slowloris): the slot is worth more to someone else.
        if not self.transport.is_closing():
            self.transport.close()
