"""``petsage serve --workers 2``: a worker killed with SIGKILL is replaced, the other serves on."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path

from petsage.testing import LiveServer, running_server
from tests.live.raw import smoke_test_status

CLIENTS = 4
WAIT = 60.0  # generous bound for a worker to appear on a shared machine


def _workers(server: LiveServer) -> set[int]:
    """The pids of the worker processes uvicorn's supervisor runs (spawned children)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = stat.with_name("cmdline").read_bytes()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == server.process.pid and b"spawn_main" in cmdline:
            pids.add(int(stat.parent.name))
    return pids


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
    with running_server("--workers", "2", "--log-level", "warning") as server:
        assert _wait_for(lambda: len(_workers(server)) == 2)
        before = _workers(server)
        victim = min(before)
        with _Load(server) as load:
            assert _wait_for(lambda: load.successes >= 50)
            os.kill(victim, signal.SIGKILL)
            assert _wait_for(lambda: len(_workers(server) - before) == 1)
            served = load.successes
            assert _wait_for(lambda: load.successes >= served + 50)
        after = _workers(server)
        assert victim not in after
        assert len(after) == 2
        assert after & before == before - {victim}
        assert load.failures == 0
        # At most the requests in flight on the killed worker's connections: one per client.
        assert load.first_attempt_failures <= CLIENTS
        assert server.process.poll() is None
        assert smoke_test_status(server) == 200
