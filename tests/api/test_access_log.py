"""The access log: one line per response with the operation id; successful probes stay out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from petsage.app import create_app
from petsage.contract import monitoring_operation_ids
from petsage.health.lifecycle import Lifecycle
from petsage.middleware.access_log import ACCESS_LOGGER, FIELDS
from petsage.settings import Settings
from tests.conftest import bearer

CASES = [
    ("/api/v1/smoke-test", 200, "getSmokeTest", False),
    ("/api/v1/smoke_test", 200, "getSmokeTestLegacy", False),
    ("/api/v1/health/live", 200, "getLiveness", False),
    ("/api/v1/health/ready?exclude=event-loop", 200, "getReadiness", False),
    ("/api/v1/health/ready/memory", 200, "getReadinessCheck", False),
    ("/api/v1/health/ready?exclude=nope", 400, "getReadiness", True),
    ("/api/v1/health/ready/nope", 404, "getReadinessCheck", True),
    ("/api/v1/smoke-test/", 404, "-", True),
    ("/api/v1/smoke-test-x", 404, "-", True),
    ("/api/v1/openapi.json", 200, "-", True),
    ("/", 200, "getWelcome", True),
]


AccessLines = Callable[..., list[str]]


@pytest.fixture
def access_lines(caplog: pytest.LogCaptureFixture, health_token_file: Path) -> AccessLines:
    """The access lines of one GET of a path, given the settings, as an operator asks (the
    health token): a per-check path and a bad exclude answer as they do on the management port."""

    def lines(path: str, **settings: Any) -> list[str]:
        app = create_app(Settings(health_token_file=health_token_file, **settings))
        with (
            caplog.at_level(logging.INFO, logger=ACCESS_LOGGER),
            app.test_client(headers=bearer()) as client,
        ):
            client.get(path)
        return [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]

    return lines


@pytest.mark.parametrize(("path", "status", "operation", "logged"), CASES)
def test_only_what_is_not_a_successful_probe_is_logged(
    access_lines: AccessLines, path: str, status: int, operation: str, logged: bool
) -> None:
    """A 2xx probe writes nothing; anything else one line with target, status and operation."""
    lines = access_lines(path)
    line = f'testclient:50000 - "GET {path} HTTP/1.1" {status} {operation} '
    assert [entry.startswith(line) and entry.endswith(" ms") for entry in lines] == (
        [True] if logged else []
    )


@pytest.mark.parametrize(("path", "status", "operation", "logged"), CASES)
def test_log_probes_logs_every_response(
    access_lines: AccessLines, path: str, status: int, operation: str, logged: bool
) -> None:
    """PETSAGE_LOG_PROBES=true: one line for every response, successful probes included."""
    (line,) = access_lines(path, log_probes=True)
    assert f" {status} {operation} " in line


def test_a_failed_probe_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Readiness answering 503 (here: draining) writes its line."""
    app = create_app(Settings(), lifecycle=Lifecycle(draining=True))
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER), app.test_client() as client:
        assert client.get("/api/v1/health/ready").status_code == 503
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    fields = dict(zip(FIELDS, record.args or (), strict=True))
    assert (fields["status"], fields["operationId"]) == (503, "getReadiness")
    assert isinstance(fields["durationMs"], float)


def test_quiet_operations_are_the_monitoring_operations() -> None:
    """The operations kept out of the log are the smoke test, the health probes and the metrics
    (the contract's System Health tag), GET and HEAD; the welcome is not one of them."""
    probes = ["SmokeTest", "SmokeTestLegacy", "Liveness", "Readiness", "ReadinessCheck", "Metrics"]
    assert {
        f"{verb}{name}" for verb in ("get", "head") for name in probes
    } == monitoring_operation_ids()
