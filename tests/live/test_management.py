"""The management listener of a real `petsage serve`: probes and metrics on a port of their own."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from pathlib import Path

import pytest

from petsage.testing import free_port, running_server
from tests.conftest import bearer
from tests.live.command import run_petsage
from tests.live.exposure import anonymous_answers, leaks
from tests.live.raw import exchange


def _get(
    port: int, path: str, timeout: float = 10, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_management_port_serves_probes_and_metrics_and_nothing_else() -> None:
    """With PETSAGE_MANAGEMENT_PORT the probes and /metrics answer there, /metrics on the main
    port is 404, and the management port serves nothing but what management.yaml declares."""
    management = free_port()
    with running_server(env={"PETSAGE_MANAGEMENT_PORT": str(management)}) as live:
        for path in ("/api/v1/health/live", "/api/v1/health/ready", "/api/v1/health/ready/memory"):
            status, body = _get(management, path)
            assert status == 200, body
            assert json.loads(body)["status"] == "pass"
        status, body = _get(management, "/metrics")
        assert status == 200
        assert b"petsage_http_requests_total" in body
        assert _get(live.port, "/metrics")[0] == 404
        for path in ("/api/v1/smoke-test", "/", "/api/v1/openapi.json", "/openapi.json"):
            assert _get(management, path)[0] == 404, path


def test_the_public_port_tells_nothing_the_management_port_and_the_token_everything(
    tmp_path: Path, health_token_file: Path
) -> None:
    """With a management listener, anonymous callers of the main port learn no check name,
    host, reason, observed value or process metric (readiness still 503 with a critical check
    failing); the management port, and the main port to the token, answer the full documents."""
    closed = free_port()
    config = tmp_path / "health.toml"
    config.write_text(
        f'[[health.checks]]\nname = "pet-db"\ntype = "tcp"\ntarget = "127.0.0.1:{closed}"\n'
    )
    management = free_port()
    env = {
        "PETSAGE_MANAGEMENT_PORT": str(management),
        "PETSAGE_CONFIG": str(config),
        "PETSAGE_HEALTH_TOKEN_FILE": str(health_token_file),
    }
    with running_server(env=env) as live:
        answers = anonymous_answers(live.base_url)
        assert leaks(answers, ("pet-db", str(closed), "Connection refused", "127.0.0.1")) == []
        assert answers["/api/v1/health/ready"][0] == 503
        for port, headers in ((management, None), (live.port, bearer())):
            status, body = _get(port, "/api/v1/health/ready", headers=headers)
            checks = json.loads(body)["checks"]
            assert status == 503
            assert checks["pet-db:responseTime"][0]["output"].startswith("cannot connect")
            assert {"memory:rss", "event-loop:lag"} <= set(checks)
            status, body = _get(port, "/api/v1/health/ready/pet-db", headers=headers)
            assert (status, set(json.loads(body)["checks"])) == (503, {"pet-db:responseTime"})
        assert b"petsage_health_check_status" in _get(management, "/metrics")[1]
        assert "Metrics: /metrics on the management port" in live.log()


def test_management_readiness_follows_the_drain() -> None:
    """After SIGTERM the management port's readiness is 503 `shutting down` while the main port
    still serves, and the management port stops with the server."""
    management = free_port()
    env = {"PETSAGE_MANAGEMENT_PORT": str(management), "PETSAGE_DRAIN_SECONDS": "3"}
    with running_server(env=env) as live:
        live.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        status, body = _get(management, "/api/v1/health/ready")
        assert status == 503
        assert json.loads(body)["output"] == "shutting down"
        assert _get(management, "/api/v1/health/ready/memory")[0] == 503
        assert _get(live.port, "/api/v1/smoke-test")[0] == 200
        assert live.process.wait(30) == 0
    with pytest.raises(ConnectionRefusedError):
        _get(management, "/api/v1/health/live", timeout=2)


def test_a_blocked_main_loop_fails_management_liveness(tmp_path: Path) -> None:
    """A main event loop blocked past fail_after turns the management port's liveness 503
    within fail_after + 1 s, while the management port keeps answering; then it recovers."""
    fail_after = 1.0
    config = tmp_path / "health.toml"
    config.write_text(f"[health.event_loop]\nwarn_after = 0.5\nfail_after = {fail_after}\n")
    management = free_port()
    env = {
        "PETSAGE_MANAGEMENT_PORT": str(management),
        "PETSAGE_CONFIG": str(config),
        "BLOCK_SECONDS": "4",
    }
    with running_server(env=env, module="tests.live.blocking_server") as live:
        assert _get(management, "/api/v1/health/live")[0] == 200
        # Readiness runs the blocking check on the main loop; it holds the loop for BLOCK_SECONDS.
        blocker = threading.Thread(
            target=_get, args=(live.port, "/api/v1/health/ready", 30), daemon=True
        )
        started = time.monotonic()
        blocker.start()
        failed_at = None
        while time.monotonic() - started < 3.5:
            status, body = _get(management, "/api/v1/health/live", timeout=2)
            if status == 503:
                failed_at = time.monotonic() - started
                assert json.loads(body)["checks"]["event-loop:lag"][0]["status"] == "fail"
                break
            time.sleep(0.05)
        assert failed_at is not None, "management liveness never failed while the loop was blocked"
        assert failed_at <= fail_after + 1.0
        blocker.join(30)
        deadline = time.monotonic() + 5
        while _get(management, "/api/v1/health/live")[0] != 200:
            assert time.monotonic() < deadline, "liveness did not recover after the block"
            time.sleep(0.1)


def test_workers_with_a_management_port_exit_78_naming_both_settings() -> None:
    """--workers 2 with PETSAGE_MANAGEMENT_PORT stops at once with exit 78, naming the settings."""
    result = run_petsage(
        "serve",
        "--workers",
        "2",
        env={"PETSAGE_MANAGEMENT_PORT": str(free_port()), "PATH": ""},
        timeout=30,
    )
    assert result.returncode == 78
    assert "PETSAGE_MANAGEMENT_PORT" in result.stderr
    assert "PETSAGE_WORKERS" in result.stderr


def test_a_management_port_in_use_stops_the_server_at_startup() -> None:
    """A management port something else holds stops `petsage serve` before it serves."""
    with running_server() as other:
        result = run_petsage(
            "serve",
            "--port",
            str(free_port()),
            env={"PETSAGE_MANAGEMENT_PORT": str(other.port), "PATH": ""},
            timeout=30,
        )
    assert result.returncode != 0
    assert "Address already in use" in result.stderr


def test_the_management_port_keeps_the_http_layer_bounds() -> None:
    """The management port answers a request over the header limit with the same 431."""
    management = free_port()
    with running_server(env={"PETSAGE_MANAGEMENT_PORT": str(management)}):
        request = b"GET /api/v1/health/live HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20000 + b"\r\n\r\n"
        result = exchange(management, request, until_closed=True)
    assert result.statuses == [431]
