"""`petsage serve --workers 2`: two processes share the port, and SIGTERM stops them all."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import psutil
import pytest

from petsage.testing import LiveServer, running_server

WORKERS = 2
MAX_CONNECTIONS = 400  # bound: the kernel hands fresh connections to either worker, soon both
BATCH = 20


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with running_server("--workers", str(WORKERS), "--log-level", "warning") as live:
        yield live


def _workers(server: LiveServer) -> list[psutil.Process]:
    """The children of ``petsage serve`` that listen on its port (not multiprocessing's helpers)."""
    return [
        child
        for child in psutil.Process(server.process.pid).children()
        if any(
            held.status == psutil.CONN_LISTEN and held.laddr.port == server.port
            for held in child.net_connections(kind="tcp4")
        )
    ]


def _serving_pids(server: LiveServer, connections: list[http.client.HTTPConnection]) -> set[int]:
    """The pids of the processes holding the server end of each open connection."""
    client_ports = {connection.sock.getsockname()[1] for connection in connections}
    return {
        worker.pid
        for worker in _workers(server)
        for held in worker.net_connections(kind="tcp4")
        if held.raddr and held.raddr.port in client_ports and held.laddr.port == server.port
    }


def _open_and_ask(server: LiveServer) -> http.client.HTTPConnection:
    """A fresh connection that got a 200 for the smoke test and is still open (keep-alive)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/api/v1/smoke-test")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    return connection


def test_two_workers_both_answer_requests(server: LiveServer) -> None:
    """Over fresh connections, requests are answered by two distinct worker processes."""
    assert len(_workers(server)) == WORKERS
    seen: set[int] = set()
    for _ in range(MAX_CONNECTIONS // BATCH):
        # Held open together, so that each worker's share shows in its own socket table.
        connections = [_open_and_ask(server) for _ in range(BATCH)]
        try:
            seen |= _serving_pids(server, connections)
        finally:
            for connection in connections:
                connection.close()
        if len(seen) == WORKERS:
            break
    assert seen == {worker.pid for worker in _workers(server)}


def test_sigterm_stops_every_worker_and_the_master_exits_0(server: LiveServer) -> None:
    """SIGTERM to the master ends both workers and the master exits 0, within a bound."""
    workers = _workers(server)
    assert len(workers) == WORKERS
    assert server.stop(timeout=60) == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
