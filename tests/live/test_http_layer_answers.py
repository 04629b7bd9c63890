"""The HTTP layer's own answers against a real ``petsage serve``: each is logged once, with the
status the client got, and counted in ``petsage_http_requests_total`` with that status."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.testing import LiveServer, running_server
from tests.live.raw import exchange
from tests.live.standins import hung_http_server

REJECTED = re.compile(r"Rejected request from .*: (\d{3}) ")


def _request(target: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: localhost", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _counted(server: LiveServer, method: str, status: int) -> float:
    """``petsage_http_requests_total`` for the HTTP layer's answers (``operation="unmatched"``)."""
    with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    labels = f'method="{method}",operation="unmatched",status="{status}"'
    match = re.search(rf"^petsage_http_requests_total\{{{labels}\}} (\S+)$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


def _rejections(server: LiveServer) -> list[int]:
    return [int(status) for status in REJECTED.findall(server.log())]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with running_server(env={"PETSAGE_MAX_BODY_BYTES": "2048"}) as live:
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
def test_an_answer_of_the_http_layer_is_logged_once_and_counted(
    server: LiveServer, request_bytes: bytes, method: str, status: int
) -> None:
    """One log line with the status sent (uvicorn's "Invalid HTTP request received." is not
    written besides), and one more request counted with that status."""
    counted, logged = _counted(server, method, status), _rejections(server)
    result = exchange(server.port, request_bytes, until_closed=True)
    assert result.statuses == [status]
    assert _rejections(server) == [*logged, status]
    assert _counted(server, method, status) == counted + 1
    assert "Invalid HTTP request received." not in server.log()


def test_a_413_says_content_too_large_in_its_status_line(server: LiveServer) -> None:
    """The status line's reason phrase is the problem's title (RFC 9110's name)."""
    request = _request(b"/api/v1/smoke-test", b"Content-Length: 4096", method=b"POST")
    result = exchange(server.port, request, until_closed=True)
    assert result.raw.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert result.responses[0].problem()["title"] == "Content Too Large"


def test_a_body_that_never_arrives_is_logged_and_counted_as_408(tmp_path: Path) -> None:
    """Queued behind a slow request, a body that never arrives gets 408; the request never reaches
    the app, so neither the access log nor the app's metrics record another status for it: the
    HTTP layer logs and counts the 408."""
    config = tmp_path / "petsage.toml"
    with hung_http_server() as hung:
        config.write_text(
            f'[[health.checks]]\nname = "hung"\ntype = "http"\n'
            f'target = "http://127.0.0.1:{hung}/health"\ntimeout = 3\nttl = 0\n'
        )
        env = {"PETSAGE_BODY_TIMEOUT": "0.5"}
        with running_server("--config", str(config), env=env) as live:
            slow = _request(b"/api/v1/health/ready/hung")
            never = _request(b"/api/v1/smoke-test", b"Content-Length: 10")
            result = exchange(live.port, slow + never, responses=2, until_closed=True)
            assert result.statuses == [503, 408]
            assert _rejections(live) == [408]
            assert '"GET /api/v1/smoke-test HTTP/1.1"' not in live.log()
            assert _counted(live, "GET", 408) == 1
            for status in (400, 413):
                assert _counted(live, "GET", status) == 0
