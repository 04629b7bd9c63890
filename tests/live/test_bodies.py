"""Request bodies against a real ``petsage serve``: none is read where the contract declares none,
none may exceed PETSAGE_MAX_BODY_BYTES, and none may take longer than PETSAGE_BODY_TIMEOUT.

Each case checks the exact status, problem+json, the close, no 5xx and no traceback, and that
the smoke test answers afterwards.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.contract import API_DOCUMENT, ROOT_DOCUMENT, base_path, load_document
from petsage.testing import LiveServer, running_server
from tests.live.raw import (
    Exchange,
    exchange,
    rejected_statuses,
    requests_counted,
    smoke_test_status,
)
from tests.live.standins import hung_http_server

# Generous: the machine is shared. "At once" means long before any timeout the server has.
AT_ONCE = 5.0


def _operation_paths() -> list[str]:
    """Every path of the contract, a readiness check's name in place of ``{check}``."""
    api = [base_path() + path for path in load_document(API_DOCUMENT)["paths"]]
    root = list(load_document(ROOT_DOCUMENT)["paths"])
    return [path.replace("{check}", "memory") for path in api + root]


DOCS_PATHS = ["/api/v1/openapi.json", "/api/v1/ui/", "/api/v1/ui/swagger-ui.css", "/openapi.json"]
NEVER_ARRIVING = [
    (b"Content-Type: application/x-www-form-urlencoded", b"Content-Length: 10"),
    (b"Content-Type: multipart/form-data; boundary=x", b"Content-Length: 10"),
    (b"Content-Length: 10",),
    (b"Content-Type: application/x-www-form-urlencoded", b"Transfer-Encoding: chunked"),
]


def _request(path: str, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + path.encode() + b" HTTP/1.1", b"Host: localhost", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _assert_clean(server: LiveServer, result: Exchange) -> None:
    for response in result.responses:
        if response.headers["content-type"] == "application/health+json":
            continue  # a failing readiness check: the contract's 503
        assert response.status < 500
        if response.status >= 400:
            assert response.problem()["status"] == response.status
    assert b"Traceback" not in result.raw
    assert smoke_test_status(server) == 200
    assert "Traceback" not in server.log()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with running_server(env={"PETSAGE_LOG_LEVEL": "debug"}) as live:
        yield live


@pytest.mark.parametrize("headers", NEVER_ARRIVING, ids=["form", "multipart", "bare", "chunked"])
@pytest.mark.parametrize("path", _operation_paths())
def test_a_never_arriving_body_on_an_operation_is_refused_at_once(
    server: LiveServer, path: str, headers: tuple[bytes, ...]
) -> None:
    """Every operation declares no body: 413 problem+json at once, then the connection closes."""
    started = time.monotonic()
    result = exchange(server.port, _request(path, *headers), until_closed=True, timeout=AT_ONCE)
    assert result.statuses == [413], result.raw[:300]
    assert result.responses[0].problem()["title"] == "Content Too Large"
    assert result.responses[0].headers["connection"] == "close"
    assert result.closed
    assert time.monotonic() - started < AT_ONCE
    _assert_clean(server, result)


@pytest.mark.parametrize("path", DOCS_PATHS)
def test_a_never_arriving_body_on_the_docs_cannot_hold_the_connection(
    server: LiveServer, path: str
) -> None:
    """The docs answer without reading a body, and the connection closes instead of waiting."""
    request = _request(path, *NEVER_ARRIVING[0])
    result = exchange(server.port, request, until_closed=True, timeout=AT_ONCE)
    assert result.statuses == [200]
    assert result.closed
    _assert_clean(server, result)


def test_a_100_mb_body_is_refused_before_it_is_read(server: LiveServer) -> None:
    """Content-Length 100 MB: 413 after the headers, the body never read; the server lives on."""
    request = _request(
        "/api/v1/health/ready",
        b"Content-Type: application/x-www-form-urlencoded",
        b"Content-Length: 100000000",
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=AT_ONCE) as sock:
        sock.sendall(request)
        sent = 0
        try:
            while sent < 100_000_000:
                sock.sendall(b"a=" + b"b" * 65534)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server stopped reading: what matters is what it answered
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    assert received.startswith(b"HTTP/1.1 413 "), received[:200]
    assert b"application/problem+json" in received
    assert sent < 100_000_000
    assert smoke_test_status(server) == 200
    assert "Traceback" not in server.log()


def test_a_chunked_body_over_the_limit_is_refused() -> None:
    """A streamed body past PETSAGE_MAX_BODY_BYTES gets 413 and the connection closed."""
    chunks = b"400\r\n" + b"a" * 1024 + b"\r\n"
    request = _request("/api/v1/smoke-test", b"Transfer-Encoding: chunked") + chunks * 8
    with running_server(env={"PETSAGE_MAX_BODY_BYTES": "2048"}) as live:
        result = exchange(live.port, request, until_closed=True)
        assert result.statuses == [413]
        assert result.closed
        _assert_clean(live, result)


def test_a_declared_length_over_the_limit_is_refused_by_the_http_layer() -> None:
    """Even where the app would answer without the body (a POST is 405), too large is 413."""
    request = _request("/api/v1/smoke-test", b"Content-Length: 4096", method=b"POST")
    with running_server(env={"PETSAGE_MAX_BODY_BYTES": "2048"}) as live:
        result = exchange(live.port, request, until_closed=True)
        assert result.statuses == [413]
        assert result.closed
        assert "2048 bytes" in str(result.responses[0].problem()["detail"])
        _assert_clean(live, result)


def test_a_body_not_complete_within_the_body_timeout_gets_408(tmp_path: Path) -> None:
    """Queued behind a slow request, a body that never arrives is 408 once PETSAGE_BODY_TIMEOUT
    passes: the slow request is answered first, then the 408, then the connection closes. The
    request never reaches the app: the HTTP layer logs and counts the 408, and nothing records
    another status for it."""
    config = tmp_path / "petsage.toml"
    with hung_http_server() as hung:
        config.write_text(
            f'[[health.checks]]\nname = "hung"\ntype = "http"\n'
            f'target = "http://127.0.0.1:{hung}/health"\ntimeout = 3\nttl = 0\n'
        )
        # The counts are read from /metrics, which the public port serves only when told to.
        env = {"PETSAGE_BODY_TIMEOUT": "0.5", "PETSAGE_PUBLIC_METRICS": "true"}
        with running_server("--config", str(config), env=env) as live:
            slow = _request("/api/v1/health/ready")  # readiness waits on the hung check
            never = _request("/api/v1/smoke-test", b"Content-Length: 10")
            result = exchange(live.port, slow + never, responses=2, until_closed=True)
            assert result.statuses == [503, 408]
            assert result.closed
            assert "0.5 s" in str(result.responses[1].problem()["detail"])
            _assert_clean(live, result)
            assert rejected_statuses(live) == [408]
            assert '"GET /api/v1/smoke-test HTTP/1.1"' not in live.log()
            assert requests_counted(live, "GET", 408) == 1
            assert requests_counted(live, "GET", 413) == requests_counted(live, "GET", 400) == 0


def test_a_client_that_goes_away_mid_request_leaves_no_traceback(server: LiveServer) -> None:
    """Clients that send half a body and leave: no traceback, and the server keeps answering."""
    for path in ("/api/v1/health/ready", "/api/v1/openapi.json", "/nope"):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(_request(path, *NEVER_ARRIVING[0]) + b"a=1")
    assert smoke_test_status(server) == 200
    assert "Traceback" not in server.log()
