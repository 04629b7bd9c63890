"""`petsage serve --workers 2`: two processes share the port, a worker killed with SIGKILL is
replaced while the other serves on, and SIGTERM stops them all."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator

import psutil
import pytest

from petsage.testing import LiveServer, running_server
from tests.live.raw import smoke_test_status

WORKERS = 2
MAX_CONNECTIONS = 400  # bound: the kernel hands fresh connections to either worker, soon both
BATCH = 20
CLIENTS = 4
WAIT = 60.0  # generous bound for a worker to appear on a shared machine


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with running_server(
        "--workers", str(WORKERS), "--log-level", "warning", env={"PETSAGE_DRAIN_SECONDS": "6"}
    ) as live:
        yield live


def _listens_on(process: psutil.Process, port: int) -> bool:
    try:
        held = process.net_connections(kind="tcp4")
    except psutil.Error:  # exited, or a zombie not yet reaped, while we looked
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in held)


def _workers(server: LiveServer) -> list[psutil.Process]:
    """The children of ``petsage serve`` that listen on its port (not multiprocessing's helpers)."""
    children = psutil.Process(server.process.pid).children()
    return [child for child in children if _listens_on(child, server.port)]


def _worker_pids(server: LiveServer) -> set[int]:
    return {worker.pid for worker in _workers(server)}


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


def _status(server: LiveServer, path: str) -> int:
    """The status of ``GET path`` over a fresh connection (so either worker may answer)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_sigterm_drains_every_worker_then_all_exit_0(server: LiveServer) -> None:
    """After SIGTERM both workers keep serving for the drain, readiness 503 and the smoke test 200
    on every fresh connection; then both workers end and the master exits 0."""
    workers = _workers(server)
    assert len(workers) == WORKERS
    assert _status(server, "/api/v1/health/ready") == 200
    server.process.send_signal(signal.SIGTERM)
    # The supervisor forwards the signal from its loop, which wakes twice a second.
    assert _wait_for(lambda: _status(server, "/api/v1/health/ready") == 503, timeout=5)
    statuses = [
        (_status(server, "/api/v1/health/ready"), _status(server, "/api/v1/smoke-test"))
        for _ in range(2 * BATCH)
    ]
    assert set(statuses) == {(503, 200)}
    assert all(worker.is_running() for worker in workers)
    assert server.stop(timeout=60) == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []


def _wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class _Load:
    """Clients in threads, each a request per new connection, retried once if it fails."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.stop = threading.Event()
        self.first_attempt_failures = 0
        self.failures = 0
        self.successes = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client) for _ in range(CLIENTS)]

    def _attempt(self) -> bool:
        try:
            return smoke_test_status(self.server, timeout=10) == 200
        except (urllib.error.URLError, OSError):
            return False

    def _client(self) -> None:
        for _ in range(100_000):  # bounded; stopped by the event long before
            if self.stop.is_set():
                return
            first = self._attempt()
            ok = first or self._attempt()
            with self.lock:
                self.first_attempt_failures += not first
                self.failures += not ok
                self.successes += ok

    def __enter__(self) -> _Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_killed_worker_is_replaced_and_no_retried_request_fails() -> None:
    """SIGKILL on one of two workers under load: a new worker pid appears; the other worker
    keeps serving, so only requests in flight on the killed one fail, and their retry succeeds."""
    with running_server("--workers", str(WORKERS), "--log-level", "warning") as server:
        assert _wait_for(lambda: len(_worker_pids(server)) == WORKERS)
        before = _worker_pids(server)
        victim = min(before)
        with _Load(server) as load:
            assert _wait_for(lambda: load.successes >= 50)
            os.kill(victim, signal.SIGKILL)
            assert _wait_for(lambda: len(_worker_pids(server) - before) == 1)
            served = load.successes
            assert _wait_for(lambda: load.successes >= served + 50)
        after = _worker_pids(server)
        assert victim not in after
        assert len(after) == WORKERS
        assert after & before == before - {victim}
        assert load.failures == 0
        # At most the requests in flight on the killed worker's connections: one per client.
        assert load.first_attempt_failures <= CLIENTS
        assert server.process.poll() is None
        assert smoke_test_status(server) == 200
