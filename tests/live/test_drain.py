"""Graceful drain of a real `petsage serve`: SIGTERM fails readiness, keeps serving, then stops."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.testing import LiveServer, running_server
from tests.conftest import bearer
from tests.live.standins import hung_http_server

DRAIN = 2.0
GRACE = 2
# How long after the drain and grace the process may take to exit on a shared, loaded machine.
MARGIN = 5.0


def _get(server: LiveServer, path: str, timeout: float = 30) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _wait_exit(server: LiveServer, within: float) -> int:
    return server.process.wait(within)


@pytest.fixture
def draining_env() -> dict[str, str]:
    return {"PETSAGE_DRAIN_SECONDS": str(DRAIN), "PETSAGE_GRACEFUL_TIMEOUT": str(GRACE)}


def test_sigterm_fails_readiness_at_once_while_everything_else_is_served(
    draining_env: dict[str, str],
) -> None:
    """During the drain readiness is 503 `shutting down`, the smoke test 200, both with
    Connection: close; the process exits within drain + grace."""
    with running_server(env=draining_env) as server:
        assert _get(server, "/api/v1/health/ready").status == 200
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        ready = _get(server, "/api/v1/health/ready")
        smoke = _get(server, "/api/v1/smoke-test")
        live = _get(server, "/api/v1/health/live")
        assert time.monotonic() - signalled < DRAIN, "the checks above ran after the drain"
        assert ready.status == 503
        assert smoke.status == 200
        assert live.status == 200
        for response in (ready, smoke, live):
            assert response.getheader("Connection") == "close"
        assert _wait_exit(server, DRAIN + GRACE + MARGIN) == 0
        assert time.monotonic() - signalled >= DRAIN


def test_readiness_body_says_shutting_down(
    draining_env: dict[str, str], health_token_file: Path
) -> None:
    """The 503 body during the drain is fail with output `shutting down` (the full document,
    asked with the health token)."""
    env = {**draining_env, "PETSAGE_HEALTH_TOKEN_FILE": str(health_token_file)}
    with running_server(env=env) as server:
        server.process.send_signal(signal.SIGTERM)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/api/v1/health/ready", headers=bearer())
        body = json.loads(connection.getresponse().read())
        connection.close()
        assert (body["status"], body["output"]) == ("fail", "shutting down")


class KeepAliveClient(threading.Thread):
    """Sends GETs back to back on one keep-alive connection, reconnecting only when the server
    says Connection: close. A request is lost when it was sent but no full response came."""

    def __init__(self, port: int, stop_at: list[float]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop_at = stop_at
        self.ok = 0
        self.reconnects = 0
        self.failures: list[str] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        deadline = time.monotonic() + 120  # bounded whatever happens
        while time.monotonic() < min(self.stop_at[0], deadline):
            try:
                connection.request("GET", "/api/v1/smoke-test")
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
                connection.close()
                continue
            if response.status == 200:
                self.ok += 1
            else:
                self.failures.append(f"status {response.status}")
            if response.will_close:
                self.reconnects += 1
                connection.close()
        connection.close()


def test_keep_alive_client_loses_no_request_across_sigterm(draining_env: dict[str, str]) -> None:
    """A client sending continuously across SIGTERM, until just before the drain ends, gets an
    answer to every request; it is told to reconnect, and the server exits afterwards."""
    with running_server(env=draining_env) as server:
        stop_at = [float("inf")]
        client = KeepAliveClient(server.port, stop_at)
        client.start()
        time.sleep(1.0)
        before = client.ok
        server.process.send_signal(signal.SIGTERM)
        stop_at[0] = time.monotonic() + DRAIN - 0.5
        client.join(60)
        assert not client.is_alive()
        assert client.failures == []
        assert before > 0
        assert client.ok > before, "no request was answered during the drain"
        assert client.reconnects > 0, "the server never said Connection: close"
        assert _wait_exit(server, DRAIN + GRACE + MARGIN) == 0


@pytest.fixture
def hung_config(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two configs whose only check waits on a dependency that never answers: one times out
    within the grace period, the other long after it."""
    with hung_http_server() as port:
        paths = []
        for name, timeout in (("within", GRACE - 0.5), ("beyond", 30)):
            path = tmp_path / f"{name}.toml"
            path.write_text(
                f'[[health.checks]]\nname = "hung"\ntype = "http"\n'
                f'target = "http://127.0.0.1:{port}/"\ntimeout = {timeout}\n'
            )
            paths.append(path)
        yield paths[0], paths[1]


def _in_flight(server: LiveServer) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(_get(server, "/api/v1/health/ready", timeout=60).status)
        except (OSError, http.client.HTTPException) as error:
            outcome.append(error)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    return thread, outcome


def test_in_flight_request_completes_across_sigterm(hung_config: tuple[Path, Path]) -> None:
    """A slow request under way at SIGTERM (and past the drain) still gets its answer."""
    env = {"PETSAGE_DRAIN_SECONDS": "0.5", "PETSAGE_GRACEFUL_TIMEOUT": str(GRACE)}
    with running_server("--config", str(hung_config[0]), env=env) as server:
        thread, outcome = _in_flight(server)
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        thread.join(60)
        assert outcome == [503]  # the check's own timeout, answered in full
        assert _wait_exit(server, 0.5 + GRACE + MARGIN) == 0


def test_request_outliving_the_grace_is_cancelled_and_the_process_exits(
    hung_config: tuple[Path, Path],
) -> None:
    """A request that would take 30 s is cancelled after the grace (the client gets uvicorn's
    500 rather than waiting), and the process exits."""
    env = {"PETSAGE_DRAIN_SECONDS": "0.5", "PETSAGE_GRACEFUL_TIMEOUT": "1"}
    with running_server("--config", str(hung_config[1]), env=env) as server:
        thread, outcome = _in_flight(server)
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _wait_exit(server, 0.5 + 1 + MARGIN)
        assert time.monotonic() - signalled < 0.5 + 1 + MARGIN
        assert "timeout graceful shutdown exceeded" in server.log()
        thread.join(60)
        assert outcome == [500]  # uvicorn's answer to a request cancelled before it responded
