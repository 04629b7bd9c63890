"""The HTTP layer's own answers against a real ``petsage serve``: each is logged once, with the
status the client got, and counted in ``petsage_http_requests_total`` with that status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from petsage.testing import LiveServer, running_server
from tests.live.raw import exchange, rejected_statuses, requests_counted


def _request(target: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: localhost", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    # The counts are read from /metrics, which the public port serves only when told to.
    env = {"PETSAGE_MAX_BODY_BYTES": "2048", "PETSAGE_PUBLIC_METRICS": "true"}
    with running_server(env=env) as live:
        yield live


@pytest.mark.parametrize(
    ("request_bytes", "method", "status"),
    [
        (_request(b"/api/v1/smoke-test", b"Content-Length: 4096", method=b"POST"), "POST", 413),
        (_request(b"/api/v1/smoke-test?q=" + b"a" * 9000), "GET", 414),
        (_request(b"/api/v1/smoke-test", b"X-Big: " + b"a" * 70000), "GET", 431),
        (_request(b"/api/v1/smoke-test", b"Transfer-Encoding: gzip"), "GET", 400),
        (bytes.fromhex("16030100c4010000c00303") + bytes(40), "other", 400),
    ],
    ids=["413", "414", "431", "400-framing", "400-not-http"],
)
def test_an_answer_of_the_http_layer_is_logged_once_andrequests_counted(
    server: LiveServer, request_bytes: bytes, method: str, status: int
) -> None:
    """One log line with the status sent (uvicorn's "Invalid HTTP request received." is not
    written besides), and one more request counted with that status."""
    counted, logged = requests_counted(server, method, status), rejected_statuses(server)
    result = exchange(server.port, request_bytes, until_closed=True)
    assert result.statuses == [status]
    assert rejected_statuses(server) == [*logged, status]
    assert requests_counted(server, method, status) == counted + 1
    assert "Invalid HTTP request received." not in server.log()


def test_a_413_says_content_too_large_in_its_status_line(server: LiveServer) -> None:
    """The status line's reason phrase is the problem's title (RFC 9110's name)."""
    request = _request(b"/api/v1/smoke-test", b"Content-Length: 4096", method=b"POST")
    result = exchange(server.port, request, until_closed=True)
    assert result.raw.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert result.responses[0].problem()["title"] == "Content Too Large"
