"""Slow clients lose their connection: slowloris after the header timeout, a client that stops
reading its response after the send timeout; others are served meanwhile."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest

from petsage.testing import LiveServer, running_server
from tests.live.raw import exchange, smoke_test_status

HEADER_TIMEOUT = 1.0
SEND_TIMEOUT = 2.0
BUNDLE = "/api/v1/ui/swagger-ui-bundle.js"  # the largest file the service sends, about 1 MB
# Generous: the machine is shared; the point is that the server closes, not how fast.
CLOSE_WITHIN = 20.0


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    env = {"PETSAGE_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "PETSAGE_SEND_TIMEOUT": str(SEND_TIMEOUT)}
    with running_server(env=env) as live:
        yield live


def _connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=CLOSE_WITHIN)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` within CLOSE_WITHIN, reading whatever it sends first."""
    deadline = time.monotonic() + CLOSE_WITHIN
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False


def _drip(sock: socket.socket, data: bytes, interval: float = 0.2) -> bool:
    """Send ``data`` a byte at a time; True if the server closed the connection meanwhile."""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        time.sleep(interval)
    return False


ENDLESS_HEADERS = b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200


def test_idle_connection_is_closed_after_the_header_timeout(server: LiveServer) -> None:
    """A connection that sends nothing is closed, no earlier than the header timeout."""
    started = time.monotonic()
    with _connect(server) as sock:
        assert _closed_by_server(sock)
    assert time.monotonic() - started >= HEADER_TIMEOUT * 0.9


def test_header_dripping_connection_is_closed_after_the_header_timeout(server: LiveServer) -> None:
    """Headers sent a byte every 0.2 s never complete: the server closes the connection."""
    with _connect(server) as sock:
        closed_while_dripping = _drip(sock, ENDLESS_HEADERS)
        assert closed_while_dripping or _closed_by_server(sock)


def test_dripping_after_a_keep_alive_response_is_closed_too(server: LiveServer) -> None:
    """After one answered request, a next request whose headers drip is cut off as well."""
    with _connect(server) as sock:
        sock.sendall(b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        closed_while_dripping = _drip(sock, ENDLESS_HEADERS)
        assert closed_while_dripping or _closed_by_server(sock)


def test_a_request_sent_in_time_is_answered(server: LiveServer) -> None:
    """A client that sends its headers within the timeout, in pieces, gets its answer."""
    request = b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    with _connect(server) as sock:
        for piece in (request[:10], request[10:40], request[40:]):
            sock.sendall(piece)
            time.sleep(HEADER_TIMEOUT / 10)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_smoke_test_answers_while_slow_clients_hold_connections(server: LiveServer) -> None:
    """With 50 idle and half-sent connections open, the smoke test still answers at once."""
    slow = [_connect(server) for _ in range(50)]
    try:
        for sock in slow[::2]:
            sock.sendall(ENDLESS_HEADERS)
        for _ in range(10):
            assert smoke_test_status(server, timeout=5) == 200
        assert exchange(server.port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").statuses == [200]
    finally:
        for sock in slow:
            sock.close()


def _read_all(sock: socket.socket) -> tuple[int, bool]:
    """Bytes read until the server ends the connection, and whether it reset it."""
    total = 0
    try:
        while chunk := sock.recv(65536):
            total += len(chunk)
    except ConnectionResetError:
        return total, True
    return total, False


def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout(server: LiveServer) -> None:
    """A client that asks for the 1 MB bundle 16 times (more than the kernel's socket buffers
    hold) and reads nothing is cut off once the send timeout passes; the smoke test answers."""
    request = f"GET {BUNDLE} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    with urllib.request.urlopen(server.base_url + BUNDLE, timeout=10) as response:
        full = len(response.read())
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    with sock:
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(request * 16)
        time.sleep(SEND_TIMEOUT + 1)
        assert smoke_test_status(server, timeout=5) == 200
        sock.settimeout(CLOSE_WITHIN)
        received, _reset = _read_all(sock)  # ends: the server has given up on this client
    assert received < 16 * full
    assert "Traceback" not in server.log()


def test_two_writes_of_one_unfinished_header_over_the_limit_get_431(server: LiveServer) -> None:
    """Two 9,000-byte writes of one header that never ends: 431 after the second, not silence."""
    start = b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\nX-Long: "
    with _connect(server) as sock:
        sock.sendall(start + b"a" * (9000 - len(start)))
        time.sleep(0.3)  # two reads, not one
        sock.sendall(b"a" * 9000)
        sock.settimeout(HEADER_TIMEOUT / 2)  # the answer comes before the header timeout
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert b"application/problem+json" in answer
    assert smoke_test_status(server) == 200


def _stalled_reader(server: LiveServer) -> socket.socket:
    """A connection that asks for the bundle 16 times and reads nothing."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(f"GET {BUNDLE} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() * 16)
    return sock


def test_past_the_send_buffer_budget_the_longest_stalled_reader_is_dropped() -> None:
    """With PETSAGE_SEND_BUFFER_BYTES spent by stalled readers, the one stalled longest is
    dropped long before the send timeout, and the smoke test answers."""
    env = {"PETSAGE_SEND_BUFFER_BYTES": "65536", "PETSAGE_SEND_TIMEOUT": "60"}
    with running_server(env=env) as live:
        first = _stalled_reader(live)
        time.sleep(1)
        others = [_stalled_reader(live) for _ in range(3)]
        try:
            first.settimeout(CLOSE_WITHIN)  # a third of the send timeout
            _read_all(first)  # returns: the server let go of it
            assert smoke_test_status(live, timeout=5) == 200
        finally:
            for sock in [first, *others]:
                sock.close()
        assert "Traceback" not in live.log()
