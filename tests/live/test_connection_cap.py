"""A real ``petsage serve`` at a 256-descriptor limit (``prlimit``), flooded with connections.

The cap is derived from the limit (224 of 256). Near it the longest-waiting idle connections are
closed, so a new client is still answered; at it, with every connection busy, a new one gets a
problem+json 503 and is closed instead of a reset; the log says so once, not per connection.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.protocol.descriptors import default_max_connections
from petsage.testing import LiveServer, running_server
from tests.live.raw import exchange, smoke_test_status
from tests.live.standins import hung_http_server

FD_LIMIT = 256
PRLIMIT = ("prlimit", f"--nofile={FD_LIMIT}:{FD_LIMIT}")
SMOKE = b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture
def held() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def _open(server: LiveServer, first_bytes: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.01)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_new_client_is_answered_while_idle_connections_flood_the_cap(
    held: list[socket.socket],
) -> None:
    """600 idle or half-sent connections at a 256-fd limit: every fresh smoke test gets 200,
    the oldest held connections are closed, and the log warns once, not per connection."""
    with running_server(wrapper=PRLIMIT) as server:
        for number in range(600):
            held.append(_open(server, SMOKE[:20] if number % 2 else b""))
            if number % 30 == 0:
                assert exchange(server.port, SMOKE).statuses == [200]
        statuses = [exchange(server.port, SMOKE).statuses for _ in range(20)]
        assert statuses == [[200]] * 20
        closed = sum(map(_closed_by_server, held))
        assert closed >= 600 - default_max_connections(FD_LIMIT)
        assert smoke_test_status(server) == 200
        log = server.log()
    assert 1 <= log.count("Connection cap:") <= 2
    assert "Traceback" not in log


def test_at_the_cap_a_new_connection_gets_503_and_a_close(
    tmp_path: Path, held: list[socket.socket]
) -> None:
    """With every connection's request in flight, a new connection gets a problem+json 503 and
    is closed; once those requests are answered, the smoke test answers again."""
    config = tmp_path / "petsage.toml"
    with hung_http_server() as hung:
        config.write_text(
            f'[[health.checks]]\nname = "hung"\ntype = "http"\n'
            f'target = "http://127.0.0.1:{hung}/health"\ntimeout = 4\nttl = 0\n'
        )
        slow = b"GET /api/v1/health/ready HTTP/1.1\r\nHost: localhost\r\n\r\n"
        with running_server("--config", str(config), wrapper=PRLIMIT) as server:
            for _ in range(default_max_connections(FD_LIMIT) + 16):  # the last ones get 503s
                held.append(_open(server, slow))
                time.sleep(0.002)  # each request read before the next connection comes
            time.sleep(0.5)
            result = exchange(server.port, SMOKE, until_closed=True, timeout=5)
            assert result.statuses == [503]
            assert result.closed
            problem = result.responses[0].problem()
            assert problem["title"] == "Service Unavailable"
            assert result.responses[0].headers["connection"] == "close"
            time.sleep(4)  # the held requests time out and are answered
            for sock in held:
                sock.close()
            assert smoke_test_status(server) == 200
            assert "Traceback" not in server.log()
