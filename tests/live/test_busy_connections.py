"""A real ``petsage serve`` when more kept-alive requests arrive at once than one iteration of its
loop starts (``petsage.protocol.turns``): those that wait their turn are answered, in order, on
connections that stay open, and a new connection is answered meanwhile."""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Iterator

import pytest

from petsage.protocol.turns import PER_ROUND
from petsage.testing import LiveServer, running_server
from tests.live.raw import RawResponse, parse_responses, smoke_test_status

CLIENTS = PER_ROUND * 5
SMOKE = b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\n\r\n"
LIVENESS = b"GET /api/v1/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with running_server() as live:
        yield live


@pytest.fixture
def clients(server: LiveServer) -> Iterator[list[socket.socket]]:
    """``CLIENTS`` connections that have each had a smoke test answered."""
    sockets = [
        socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(CLIENTS)
    ]
    try:
        for sock in sockets:
            sock.sendall(SMOKE)
        assert all(
            [response.status for response in responses] == [200]
            for responses in read_all(sockets, 1)
        )
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def read_all(
    sockets: list[socket.socket], count: int, timeout: float = 30
) -> list[list[RawResponse]]:
    """``count`` responses from each socket (fewer where the server closes it or time runs out)."""
    received: dict[socket.socket, list[RawResponse]] = {sock: [] for sock in sockets}
    buffers = dict.fromkeys(sockets, b"")
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ, sock)
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(deadline - time.monotonic(), 0.01)):
                ready: socket.socket = key.data
                chunk = ready.recv(65536)
                parsed, buffers[ready] = parse_responses(buffers[ready] + chunk)
                received[ready] += parsed
                if not chunk or len(received[ready]) >= count:
                    selector.unregister(ready)
    return [received[sock] for sock in sockets]


def test_requests_that_arrive_together_are_all_answered_in_order(
    server: LiveServer, clients: list[socket.socket]
) -> None:
    """Every client sends two requests at once, five times the loop's share of an iteration;
    each gets both answers, in the order it asked, and its connection stays open; a new
    connection's smoke test is answered while they wait."""
    for sock in clients:
        sock.sendall(SMOKE + LIVENESS)
    assert smoke_test_status(server) == 200
    answers = read_all(clients, 2)
    assert [
        [(r.status, r.headers["content-type"]) for r in responses] for responses in answers
    ] == [[(200, "application/json"), (200, "application/health+json")]] * CLIENTS
    assert all(response.headers.get("connection") != "close" for r in answers for response in r)
    for sock in clients:
        sock.sendall(SMOKE)
    assert [[r.status for r in responses] for responses in read_all(clients, 1)] == [
        [200]
    ] * CLIENTS
