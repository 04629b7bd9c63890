"""GET /metrics as a client sees it, and the series the app's requests and checks produce."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from petsage.app import create_app, create_management_app
from petsage.health import CheckResult, Registration, named_check
from petsage.health.config import HealthConfig
from petsage.health.lifecycle import Lifecycle
from petsage.health.main_loop import MainLoop
from petsage.health.system import EventLoopMonitor
from petsage.settings import Settings
from tests.api.test_errors import assert_problem
from tests.conftest import bearer


def _samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(client: TestClient, name: str, **labels: str) -> float:
    return _samples(client).get((name, frozenset(labels.items())), 0.0)


async def _flaky() -> CheckResult:
    return CheckResult(status="fail", output="down")


@pytest.fixture
def metered(health_token_file: Path) -> Iterator[TestClient]:
    """An app that serves its metrics publicly (no management listener), with the health token."""
    checks = [Registration(named_check("flaky", _flaky), critical=False)]
    settings = Settings(public_metrics=True, health_token_file=health_token_file)
    with create_app(settings, validate_responses=True, checks=checks).test_client() as client:
        yield client


def test_metrics_are_prometheus_text_with_no_store(metered: TestClient) -> None:
    """GET /metrics is Prometheus's text format 0.0.4, never cached, declared in the contract."""
    response = metered.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "# TYPE petsage_http_requests_total counter" in response.text


def test_openmetrics_when_accept_asks_for_it(metered: TestClient) -> None:
    """Accept: application/openmetrics-text gets OpenMetrics 1.0, ending in `# EOF`."""
    response = metered.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith(
        "application/openmetrics-text; version=1.0.0"
    )
    assert response.text.endswith("# EOF\n")


def test_requests_are_counted_by_the_contracts_operation_id(metered: TestClient) -> None:
    """A request is labelled with its operationId as the contract writes it, its method and its
    status. This is how Connexion's routing is read (petsage/request_path/operation_id.py): an
    upgrade that stops putting the operation in the scope fails here."""
    labels = {"operation": "getSmokeTest", "method": "GET", "status": "200"}
    before = _value(metered, "petsage_http_requests_total", **labels)
    for _ in range(3):
        metered.get("/api/v1/smoke-test")
    metered.head("/api/v1/smoke_test")
    assert _value(metered, "petsage_http_requests_total", **labels) == before + 3
    legacy = {"operation": "getSmokeTestLegacy", "method": "HEAD", "status": "200"}
    assert _value(metered, "petsage_http_requests_total", **legacy) >= 1
    histogram = {"operation": "getSmokeTest", "method": "GET"}
    assert _value(metered, "petsage_http_request_duration_seconds_count", **histogram) >= 3


def test_random_paths_and_methods_create_no_series(metered: TestClient) -> None:
    """Unmatched paths and methods share the `unmatched` label, odd methods count as `other`: a
    client sending random paths cannot grow the number of series."""

    def send(first: int) -> None:
        for index in range(first, first + 20):
            metered.get(f"/random/{index}")
            metered.request("PROPFIND", f"/api/v1/smoke-test?{index}")

    send(0)
    before = set(_samples(metered))
    send(100)
    after = _samples(metered)
    assert set(after) == before
    assert not any("random" in value for _, labels in after for _, value in labels)
    unmatched = {"operation": "unmatched", "method": "GET", "status": "404"}
    assert after[("petsage_http_requests_total", frozenset(unmatched.items()))] >= 40
    other = {"operation": "unmatched", "method": "other", "status": "405"}
    assert after[("petsage_http_requests_total", frozenset(other.items()))] >= 40


def test_a_failing_handler_is_counted_as_its_status(metered: TestClient) -> None:
    """A 400 problem the handler raises is counted with status 400 under its operation."""
    labels = {"operation": "getReadiness", "method": "GET", "status": "400"}
    before = _value(metered, "petsage_http_requests_total", **labels)
    response = metered.get("/api/v1/health/ready?exclude=nope", headers=bearer())
    assert_problem(response, 400, "Bad Request")
    assert _value(metered, "petsage_http_requests_total", **labels) == before + 1


def test_checks_and_probes_report_their_status_duration_and_last_run(
    metered: TestClient,
) -> None:
    """A readiness probe sets each check's status, duration and last run, and the probe's
    aggregate; a non-critical failure is `warn`."""
    metered.get("/api/v1/health/ready")
    metered.get("/api/v1/health/live")
    samples = _samples(metered)

    def value(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert value("petsage_health_check_status", check="flaky", status="warn") == 1
    assert value("petsage_health_check_status", check="flaky", status="fail") == 0
    assert value("petsage_health_check_status", check="memory", status="pass") == 1
    assert value("petsage_health_check_duration_seconds_count", check="flaky") >= 1
    assert value("petsage_health_check_last_run_timestamp_seconds", check="shutdown") > 1e9
    assert value("petsage_health_probe_status", probe="readiness", status="warn") == 1
    assert value("petsage_health_probe_status", probe="liveness", status="pass") == 1
    assert value("petsage_draining") == 0


def test_build_and_process_metrics_are_there(metered: TestClient) -> None:
    """Build info names the release; one process exposes the library's process_* series."""
    text = metered.get("/metrics").text
    assert re.search(
        r'^petsage_build_info\{python_version="[0-9.]+",version="0.1.0"\} 1.0$', text, re.M
    )
    assert "process_resident_memory_bytes" in text
    assert "petsage_http_requests_in_flight" in text


def test_metrics_are_not_public_by_default() -> None:
    """Without a management listener and without PETSAGE_PUBLIC_METRICS the main app's /metrics
    is a declared 404 problem."""
    with create_app(Settings(), validate_responses=True).test_client() as main:
        assert_problem(main.get("/metrics"), 404, "Not Found")


def test_the_management_app_serves_metrics_and_the_main_one_then_404s() -> None:
    """With a management port the main app's /metrics is a declared 404 problem, and the
    management app serves the exposition."""
    settings = Settings(management_port=9001)
    with create_app(settings, validate_responses=True).test_client() as main:
        assert_problem(main.get("/metrics"), 404, "Not Found")
    monitor = EventLoopMonitor()
    management = create_management_app(
        HealthConfig(), Lifecycle(), monitor, MainLoop(), validate_responses=True
    )
    with management.test_client() as client:
        assert client.get("/metrics").status_code == 200


def test_metrics_off_serves_no_metrics() -> None:
    """PETSAGE_METRICS=false: /metrics is a declared 404 problem and the API still answers."""
    with create_app(Settings(metrics=False), validate_responses=True).test_client() as client:
        assert_problem(client.get("/metrics"), 404, "Not Found")
        assert client.get("/api/v1/smoke-test").status_code == 200
