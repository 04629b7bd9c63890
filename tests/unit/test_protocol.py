"""``LimitedHttpToolsProtocol`` driven in process: bytes in through ``data_received``, what it
writes and how it closes read from a mock transport, its deadlines fired by moving a mock clock
(``tests/unit/protocol_doubles.py``). The live batteries (``tests/live/test_malformed_input.py``
and friends) check the same against a real server."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import re
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import pytest

from petsage.logs import WithoutParserErrorLine
from petsage.protocol.limits import (
    LINGER_BYTES,
    LINGER_SECONDS,
    HttpLimits,
    LimitedHttpToolsProtocol,
    Listener,
)
from petsage.server import uvicorn_config
from petsage.settings import Settings
from petsage.wire import status_sent
from tests.unit.protocol_doubles import MockTransport, Server, settle

pytestmark = pytest.mark.anyio

LIMITS = HttpLimits(
    max_header_bytes=512,
    max_header_count=8,
    max_url_bytes=64,
    header_timeout=5.0,
    allowed_hosts=("petsage.test",),
    max_body_bytes=16,
    body_timeout=3.0,
    send_timeout=7.0,
    send_buffer_bytes=1000,
    socket_send_buffer_bytes=0,
    max_connections=100,
    monitoring_paths=re.compile(rb"/health"),
)


def request(
    target: bytes = b"/", *headers: bytes, method: bytes = b"GET", host: bool = True
) -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", *([b"Host: petsage.test"] if host else [])]
    return b"\r\n".join([*lines, *headers]) + b"\r\n\r\n"


class App:
    """Answers 200 ``ok`` after reading the whole body; records each request's scope; a request
    to ``/wait`` is answered once ``release`` is set."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []
        self.release = asyncio.Event()
        self.sent: list[int] = []  # what the app tried to send

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        more = scope["path"] != "/early"  # answered without reading the body
        message: dict[str, Any] = {"type": "http.request"}
        while more:
            message = await receive()
            more = message["type"] == "http.request" and message.get("more_body", False)
        if scope["path"] == "/wait":
            await self.release.wait()
        status = 200 if message["type"] == "http.request" else 400
        self.sent.append(status)
        headers = [(b"content-length", b"2")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})


class Recorder:
    """The listener's ``answered`` callback."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, int]] = []

    def __call__(self, method: str, status: int) -> None:
        self.answers.append((method, status))


@pytest.fixture
def answers() -> Recorder:
    return Recorder()


@pytest.fixture
async def server(answers: Recorder) -> AsyncIterator[Server]:
    served = Server(App(), LIMITS, Listener(answered=answers))
    yield served
    await served.close()


class _Kept(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log() -> Iterator[list[logging.LogRecord]]:
    """What the protocol logs on ``uvicorn.error``, after the filter ``petsage.logs`` configures
    there (whether or not an earlier test applied the logging configuration)."""
    records: list[logging.LogRecord] = []
    handler, configured = _Kept(records), WithoutParserErrorLine()
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.addHandler(handler)
    logger.addFilter(configured)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.removeFilter(configured)
    logger.setLevel(level)


def app_of(server: Server) -> App:
    assert isinstance(server.app, App)
    return server.app


def problem(transport: MockTransport) -> dict[str, Any]:
    """The last response's body as problem details, after checking it is declared as such."""
    head, _, body = transport.buffer.rpartition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.rpartition(b"HTTP/1.1")[2]
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def assert_closed_lingering(transport: MockTransport, server: Server) -> None:
    """The write side is shut at once; the connection closes ``LINGER_SECONDS`` later."""
    assert transport.eof_written
    assert not transport.closed
    server.loop.advance(LINGER_SECONDS)
    assert transport.closed


async def test_a_good_request_is_served(server: Server, answers: Recorder) -> None:
    """The app answers; the connection stays open and nothing is counted by the HTTP layer."""
    _, transport = server.connect()
    _.data_received(request())
    await settle()
    assert transport.statuses() == [200]
    assert not transport.closed
    assert not transport.eof_written
    assert answers.answers == []


# Limits of the header section.
@pytest.mark.parametrize("writes", [1, 7], ids=["one-write", "split"])
async def test_a_header_section_over_the_limit_is_431(
    server: Server, answers: Recorder, writes: int
) -> None:
    """Over ``max_header_bytes`` gets 431, whether the section comes in one write or dripped in
    pieces that each stay below the limit and never complete a header line."""
    protocol, transport = server.connect()
    data = b"GET / HTTP/1.1\r\nHost: petsage.test\r\nX-Big: " + b"a" * 600
    size = -(-len(data) // writes)
    for start in range(0, len(data), size):
        protocol.data_received(data[start : start + size])
    await settle()
    assert transport.statuses() == [431]
    assert problem(transport)["detail"] == "The request header section is too large."
    assert app_of(server).scopes == []
    assert answers.answers == [("GET", 431)]
    assert_closed_lingering(transport, server)


async def test_bytes_of_earlier_pipelined_requests_do_not_count_toward_the_next(
    server: Server,
) -> None:
    """A read that ends one request and begins the next counts only the next one's bytes."""
    protocol, transport = server.connect()
    filler = b"X-Filler: " + b"a" * 400
    protocol.data_received(request(b"/", filler) + request(b"/", filler))
    await settle()
    assert transport.statuses() == [200, 200]


async def test_too_many_header_fields_is_431(server: Server) -> None:
    protocol, transport = server.connect()
    fields = [b"X-%d: 1" % index for index in range(LIMITS.max_header_count)]
    protocol.data_received(request(b"/", *fields))
    await settle()
    assert transport.statuses() == [431]
    assert problem(transport)["detail"] == "The request has too many header fields."


async def test_a_long_request_target_is_414(server: Server) -> None:
    protocol, transport = server.connect()
    protocol.data_received(request(b"/" + b"a" * LIMITS.max_url_bytes))
    await settle()
    assert transport.statuses() == [414]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (request(host=False), 400),
        (b"GET / HTTP/1.0\r\n\r\n", 200),
        (request(b"/", b"Host: petsage.test"), 400),
        (request(b"/", b"Host: bad host", host=False), 400),
        (request(b"/", b"Host: elsewhere.test", host=False), 400),
        (request(b"/", b"Host: PetSage.TEST:8080", host=False), 200),
        (request(b"/health", b"Host: 10.0.0.1", host=False), 200),
        (request(b"/health?x=1", b"Host: [::1]:80", host=False), 200),
        (request(b"/other", b"Host: 10.0.0.1", host=False), 400),
        (request(b"http://petsage.test/x", b"Host: elsewhere.test", host=False), 200),
        (request(b"http://elsewhere.test/x", b"Host: petsage.test", host=False), 400),
    ],
    ids=[
        "no-host-1.1",
        "no-host-1.0",
        "two-hosts",
        "invalid",
        "not-listed",
        "listed-case-and-port",
        "ip-on-monitoring-path",
        "ipv6-on-monitoring-path",
        "ip-elsewhere",
        "absolute-form-listed",
        "absolute-form-not-listed",
    ],
)
async def test_host_rules(server: Server, data: bytes, status: int) -> None:
    """RFC 9112's Host rules and the allow-list; an absolute-form target's authority wins."""
    protocol, transport = server.connect()
    protocol.data_received(data)
    await settle()
    assert transport.statuses() == [status]


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (request(b"/", b"Transfer-Encoding: gzip"), "does not end in chunked"),
        (request(b"/a%zz"), "invalid percent-encoding"),
        (b"GET / HTTP/2.0\r\nHost: petsage.test\r\n\r\n", "Only HTTP/1.0 and HTTP/1.1"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "not valid HTTP/1.1"),
    ],
    ids=["framing", "percent", "version", "not-http"],
)
async def test_malformed_requests_are_400_before_the_app(
    server: Server, data: bytes, detail: str
) -> None:
    protocol, transport = server.connect()
    protocol.data_received(data)
    await settle()
    assert transport.statuses() == [400]
    assert detail in problem(transport)["detail"]
    assert app_of(server).scopes == []


async def test_bytes_that_are_not_http_are_counted_without_a_method(
    server: Server, answers: Recorder
) -> None:
    protocol, _ = server.connect()
    protocol.data_received(b"\x16\x03\x01\x02\x00")
    assert answers.answers == [("", 400)]


# Bodies.
async def test_a_declared_length_over_the_limit_is_413_before_the_body(
    server: Server, answers: Recorder
) -> None:
    """413 at once, the status line's reason phrase being the problem's title."""
    protocol, transport = server.connect()
    protocol.data_received(request(b"/", b"Content-Length: 17", method=b"POST"))
    await settle()
    assert transport.statuses() == [413]
    assert transport.reasons() == ["Content Too Large"] == [problem(transport)["title"]]
    assert app_of(server).scopes == []
    assert answers.answers == [("POST", 413)]


async def test_a_streamed_body_over_the_limit_is_413_and_the_app_answer_dropped(
    server: Server, answers: Recorder
) -> None:
    """The app is reading the body when it passes the limit: the client gets the 413, and the
    request's scope says so for the app's access log and metrics."""
    protocol, transport = server.connect()
    protocol.data_received(request(b"/", b"Transfer-Encoding: chunked", method=b"POST"))
    await settle()
    protocol.data_received(b"a\r\n" + b"a" * 10 + b"\r\n")
    await settle()
    protocol.data_received(b"a\r\n" + b"a" * 10 + b"\r\n")
    await settle()
    assert transport.statuses() == [413]
    (scope,) = app_of(server).scopes
    assert app_of(server).sent == [400]
    assert status_sent(scope, 400) == 413
    assert answers.answers == []  # the app's layers count it
    assert_closed_lingering(transport, server)


# Deadlines.
async def test_the_header_deadline_closes_an_idle_connection(server: Server) -> None:
    """Nothing sent within ``header_timeout``: closed without an answer; not before."""
    protocol, transport = server.connect()
    protocol.data_received(b"GET / HTTP/1.1\r\n")  # a header section dripping in
    server.loop.advance(LIMITS.header_timeout - 0.5)
    assert not transport.closed
    server.loop.advance(0.5)
    assert transport.closed
    assert transport.buffer == b""


async def test_the_header_deadline_runs_again_after_a_keep_alive_response(server: Server) -> None:
    protocol, transport = server.connect()
    server.loop.advance(LIMITS.header_timeout - 1)
    protocol.data_received(request())
    await settle()
    server.loop.advance(LIMITS.header_timeout - 1)
    assert not transport.closed  # the first deadline was met
    server.loop.advance(1)
    assert transport.closed


async def test_a_body_that_does_not_arrive_in_time_is_408(
    server: Server, answers: Recorder
) -> None:
    """The app waiting for the body is told the client is gone; the client gets 408, and the
    request's scope records 408 for the app's access log and metrics (not what the app sends)."""
    protocol, transport = server.connect()
    protocol.data_received(request(b"/", b"Content-Length: 10", method=b"POST") + b"abc")
    await settle()
    server.loop.advance(LIMITS.body_timeout)
    await settle()
    assert transport.statuses() == [408]
    assert "3 s" in problem(transport)["detail"]
    (scope,) = app_of(server).scopes
    assert app_of(server).sent == [400]
    assert status_sent(scope, 400) == 408
    assert answers.answers == []
    assert_closed_lingering(transport, server)


async def test_a_pipelined_body_that_does_not_arrive_is_408_after_the_request_before(
    server: Server, answers: Recorder
) -> None:
    """Queued behind a slow request, a body that never comes gets 408 once the slow request is
    answered; it never reaches the app, so the HTTP layer counts it."""
    protocol, transport = server.connect()
    never = request(b"/", b"Content-Length: 10", method=b"POST")
    protocol.data_received(request(b"/wait") + never)
    await settle()
    server.loop.advance(LIMITS.body_timeout)
    await settle()
    assert transport.statuses() == []  # the request before is still being answered
    app_of(server).release.set()
    await settle()
    assert transport.statuses() == [200, 408]
    assert [scope["path"] for scope in app_of(server).scopes] == ["/wait"]
    assert answers.answers == [("POST", 408)]
    assert_closed_lingering(transport, server)


async def test_a_client_that_does_not_read_is_dropped_at_the_send_deadline(
    server: Server,
) -> None:
    protocol, transport = server.connect()
    protocol.data_received(request())
    protocol.pause_writing()  # the client stopped reading: the write buffer is full
    await settle()
    server.loop.advance(LIMITS.send_timeout - 1)
    assert not transport.aborted
    server.loop.advance(1)
    assert transport.aborted


async def test_a_response_handed_over_in_time_keeps_the_connection(server: Server) -> None:
    protocol, transport = server.connect()
    protocol.data_received(request())
    protocol.pause_writing()
    await settle()
    protocol.resume_writing()
    await settle()
    server.loop.advance(LIMITS.send_timeout)
    assert transport.statuses() == [200]
    assert not transport.aborted


# The lingering close.
async def test_what_arrives_after_a_problem_is_dropped_until_the_close(server: Server) -> None:
    protocol, transport = server.connect()
    protocol.data_received(request(b"/", b"Transfer-Encoding: gzip"))
    protocol.data_received(request())  # read and dropped: not parsed, not answered
    await settle()
    assert transport.statuses() == [400]
    assert transport.eof_written
    server.loop.advance(LINGER_SECONDS - 0.5)
    assert not transport.closed
    server.loop.advance(0.5)
    assert transport.closed


async def test_a_client_that_keeps_sending_after_a_problem_is_cut_off(server: Server) -> None:
    protocol, transport = server.connect()
    protocol.data_received(request(b"/", b"Transfer-Encoding: gzip"))
    protocol.data_received(b"a" * LINGER_BYTES)
    assert not transport.closed
    protocol.data_received(b"a")
    assert transport.closed


async def test_a_request_answered_before_its_body_arrived_closes_lingering(
    server: Server,
) -> None:
    """The rest of the body cannot be told from a next request: the connection is not kept."""
    protocol, transport = server.connect()
    protocol.data_received(request(b"/early", b"Content-Length: 10", method=b"POST") + b"abc")
    await settle()
    assert transport.statuses() == [200]
    assert_closed_lingering(transport, server)


# Pipelined problems.
async def test_a_pipelined_problem_is_answered_after_the_requests_before_it(
    server: Server,
) -> None:
    protocol, transport = server.connect()
    protocol.data_received(request(b"/wait") + request(b"/", b"Transfer-Encoding: gzip"))
    await settle()
    assert transport.statuses() == []
    app_of(server).release.set()
    await settle()
    assert transport.statuses() == [200, 400]
    assert_closed_lingering(transport, server)


# The connection cap.
async def test_near_the_cap_the_longest_waiting_connection_is_closed(answers: Recorder) -> None:
    """Past the soft cap (a tenth below the cap) a new connection closes the idle one that has
    waited longest, and is served."""
    server = Server(App(), LIMITS.__class__(**{**vars(LIMITS), "max_connections": 10}), Listener())
    transports = []
    for _ in range(9):
        transports.append(server.connect()[1])
        server.loop.advance(0.1)
    assert not any(transport.closed for transport in transports)
    _, newest = server.connect()
    assert [transport.closed for transport in transports] == [True] + [False] * 8
    assert not newest.closed
    await server.close()


async def test_beyond_the_cap_a_new_connection_is_503(answers: Recorder, log: list[Any]) -> None:
    """With every connection busy nothing can be evicted: a new one gets 503, logged and
    counted once."""
    limits = LIMITS.__class__(**{**vars(LIMITS), "max_connections": 2})
    server = Server(App(), limits, Listener(answered=answers))
    for _ in range(2):
        protocol, _transport = server.connect()
        protocol.data_received(request(b"/wait"))
    await settle()
    _, refused = server.connect()
    assert refused.statuses() == [503]
    assert refused.closed
    assert answers.answers == [("", 503)]
    await server.close()
    assert [r.getMessage() for r in log if "Rejected" in r.getMessage()] == [
        "Rejected request from ('127.0.0.1', 40000): 503 "
        "The server has too many open connections; retry shortly."
    ]


# Slow readers.
async def test_past_the_send_buffer_budget_the_longest_stopped_reader_is_dropped(
    server: Server,
) -> None:
    (first, first_transport), (second, second_transport) = server.connect(), server.connect()
    first_transport.write_buffer_size = second_transport.write_buffer_size = 600
    first.pause_writing()
    assert not first_transport.aborted
    second.pause_writing()  # 1200 bytes waiting, over the budget of 1000
    assert first_transport.aborted
    assert not second_transport.aborted


# Per-listener state.
async def test_two_listeners_do_not_share_their_slow_readers() -> None:
    """Stopped readers on one listener count only against that listener's budget."""
    main, management = Server(App(), LIMITS, Listener()), Server(App(), LIMITS, Listener())
    (first, first_transport), (second, second_transport) = main.connect(), management.connect()
    first_transport.write_buffer_size = second_transport.write_buffer_size = 600
    first.pause_writing()
    second.pause_writing()
    assert not first_transport.aborted
    assert not second_transport.aborted
    await main.close()
    await management.close()


def test_the_protocol_factory_pickles_with_a_listener_of_its_own() -> None:
    """A worker process unpickles the factory with its own, empty, ``Listener``."""
    listener = Listener()
    factory = partial(LimitedHttpToolsProtocol, limits=LIMITS, listener=listener)
    copy = pickle.loads(pickle.dumps(factory))  # noqa: S301 - our own bytes
    assert copy.keywords["listener"] is not listener
    assert copy.keywords["limits"] == LIMITS


# One log line per answer.
async def test_a_rejection_is_logged_once_with_its_status(
    server: Server, log: list[logging.LogRecord]
) -> None:
    """The protocol's line names the status; uvicorn's own parser-error warning is dropped."""
    protocol, _ = server.connect()
    protocol.data_received(request(b"/", b"Content-Length: 17", method=b"POST"))
    assert [record.getMessage() for record in log] == [
        "Rejected request from ('127.0.0.1', 40000): 413 The request body is larger than 16 bytes."
    ]


def test_each_listener_the_composition_root_configures_has_its_own_state() -> None:
    """The main and the management listener's protocol factories carry distinct ``Listener``s."""
    settings = Settings(management_port=9001)
    main = uvicorn_config(settings, app="")
    management = uvicorn_config(settings, app="", management=True)
    listeners = [config.http.keywords["listener"] for config in (main, management)]  # type: ignore[union-attr]
    assert listeners[0] is not listeners[1]
    assert listeners[0].slow_readers is not listeners[1].slow_readers
    assert listeners[0].cap_warning is not listeners[1].cap_warning
