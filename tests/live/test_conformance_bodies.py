"""JSON bodies against a real server serving the conformance contract (``python -m
tests.conformance serve``): a chunked body is accepted and bounded exactly as a
``Content-Length`` one (413 past PETSAGE_MAX_BODY_BYTES, 408 past PETSAGE_BODY_TIMEOUT), no bad
body is ever a 5xx or a traceback, and Connexion writes no warning for a client's error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from petsage.testing import LiveServer, running_server
from tests.live.raw import Exchange, exchange, smoke_test_status

LIMIT = 2048
VISIT = {"pet_name": "Rex", "species": "dog", "date": "2026-02-28"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    env = {"PETSAGE_MAX_BODY_BYTES": str(LIMIT), "PETSAGE_BODY_TIMEOUT": "0.5"}
    with running_server(module="tests.conformance", env=env) as live:
        yield live


def _post(*headers: bytes, body: bytes = b"") -> bytes:
    lines = [b"POST /conformance/visits HTTP/1.1", b"Host: localhost", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _chunked(*chunks: bytes, last: bool = True) -> bytes:
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return framed + (b"0\r\n\r\n" if last else b"")


def _assert_clean(server: LiveServer, result: Exchange) -> None:
    assert all(status < 500 for status in result.statuses)
    assert b"Traceback" not in result.raw
    assert smoke_test_status(server) == 200
    log = server.log()
    assert "Traceback" not in log
    assert "Problem(" not in log  # Connexion's per-problem warning (debug, not shown at info)


@pytest.mark.parametrize("pet", ["Chunky", "Lumpy"])
def test_a_chunked_body_is_created(server: LiveServer, pet: str) -> None:
    """A valid body in chunks, no Content-Length: 201, the connection kept."""
    raw = json.dumps({**VISIT, "pet_name": pet}).encode()
    body = _chunked(raw[:7], raw[7:])
    headers = (b"Content-Type: application/json", b"Transfer-Encoding: chunked")
    result = exchange(server.port, _post(*headers, body=body))
    assert result.statuses == [201], result.raw[:300]
    assert json.loads(result.responses[0].body)["visit"]["pet_name"] == pet
    _assert_clean(server, result)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_either_way(server: LiveServer, chunked: bool) -> None:
    """Past PETSAGE_MAX_BODY_BYTES, declared or streamed: 413 problem+json and the close."""
    raw = json.dumps({**VISIT, "pet_name": "x" * LIMIT}).encode()
    if chunked:
        request = _post(b"Content-Type: application/json", b"Transfer-Encoding: chunked")
        request += _chunked(raw[:1000], raw[1000:])
    else:
        length = b"Content-Length: %d" % len(raw)
        request = _post(b"Content-Type: application/json", length, body=raw)
    result = exchange(server.port, request, until_closed=True)
    assert result.statuses == [413]
    assert result.responses[0].problem()["title"] == "Content Too Large"
    assert result.closed
    _assert_clean(server, result)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_not_complete_in_time_is_408_either_way(server: LiveServer, chunked: bool) -> None:
    """A body that stops arriving: 408 once PETSAGE_BODY_TIMEOUT passes, then the close."""
    raw = json.dumps(VISIT).encode()
    if chunked:
        request = _post(b"Content-Type: application/json", b"Transfer-Encoding: chunked")
        request += _chunked(raw[:10], last=False)
    else:
        length = b"Content-Length: %d" % len(raw)
        request = _post(b"Content-Type: application/json", length, body=raw[:10])
    result = exchange(server.port, request, until_closed=True)
    assert result.statuses == [408]
    assert "0.5 s" in str(result.responses[0].problem()["detail"])
    assert result.closed
    _assert_clean(server, result)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ((b"Content-Type: application/json",), b'{"pet_name": "\xff"}', 400),
        ((b"Content-Type: application/json",), b"{", 400),
        ((), json.dumps(VISIT).encode(), 415),
        ((b"Content-Type: text/plain",), json.dumps(VISIT).encode(), 415),
        ((b"Content-Type: application/json",), b"", 400),
    ],
    ids=["not-utf-8", "not-json", "no-media-type", "undeclared-media-type", "absent"],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_bad_body_is_a_client_error_either_way(
    server: LiveServer, headers: tuple[bytes, ...], body: bytes, status: int, chunked: bool
) -> None:
    """Each bad body is the same 4xx problem, framed either way; nothing is logged but the
    access line."""
    if chunked:
        request = _post(*headers, b"Transfer-Encoding: chunked") + _chunked(*filter(None, [body]))
    else:
        request = _post(*headers, b"Content-Length: %d" % len(body), body=body)
    result = exchange(server.port, request)
    assert result.statuses == [status], result.raw[:300]
    assert result.responses[0].problem()["status"] == status
    _assert_clean(server, result)
