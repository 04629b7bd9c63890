"""The metrics of a real `petsage serve`, checked by Debian's promtool and scraped by Prometheus."""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from petsage.testing import free_port, running_server
from tests.metrics.prometheus import (
    PROMTOOL,
    needs_prometheus,
    running_prometheus,
    scrape,
    smoke,
    wait_for,
)

pytestmark = needs_prometheus
OPENMETRICS = "application/openmetrics-text;version=1.0.0"
# /metrics on the main port, where there is no management listener, is off unless asked for.
PUBLIC_METRICS = {"PETSAGE_PUBLIC_METRICS": "true"}
SMOKE = {"operation": "getSmokeTest", "method": "GET", "status": "200"}


def _requests_total(text: str, labels: dict[str, str]) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "petsage_http_requests_total" and sample.labels == labels
    )


def _promtool(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_promtool_finds_nothing_to_fix_in_a_realscrape(workers: str) -> None:
    """`promtool check metrics` is clean on a scrape of one process and of two workers, and the
    OpenMetrics form of the same scrape parses strictly (promtool reads only the text format)."""
    # Several workers cannot have a management listener: the metrics are switched on publicly.
    with running_server("--workers", workers, env=PUBLIC_METRICS) as live:
        smoke(live.port, 3)
        urllib.request.urlopen(f"{live.base_url}/api/v1/health/ready", timeout=10).close()
        text = scrape(live.port)
        openmetrics = scrape(live.port, OPENMETRICS)
    assert "petsage_health_check_status" in text
    result = _promtool(text)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    families = {family.name for family in openmetrics_families(openmetrics)}  # type: ignore[no-untyped-call]
    assert {"petsage_http_requests", "petsage_health_check_status"} <= families


def test_two_workers_report_the_totals_of_both(tmp_path: Path) -> None:
    """With --workers 2 one scrape counts the requests every worker answered, and the metrics
    directory the server made is gone once it stops."""
    env = {"TMPDIR": str(tmp_path), **PUBLIC_METRICS}
    with running_server("--workers", "2", env=env) as live:
        assert len(list(tmp_path.glob("petsage-metrics-*"))) == 1
        before = _requests_total(scrape(live.port), SMOKE)
        sent, workers = 0, set[str]()
        # The kernel spreads fresh connections over the two processes unevenly, and the second
        # may still be starting: send until both have answered (bounded).
        while len(workers) < 2 and sent < 1200:
            smoke(live.port, 60)
            sent += 60
            files = tmp_path.glob("petsage-metrics-*/counter_*")
            workers = {path.name.split("_")[-1] for path in files}
        scrapes = [scrape(live.port) for _ in range(6)]  # answered by either worker
    assert len(workers) == 2, "both workers answered requests"
    for text in scrapes:
        assert _requests_total(text, SMOKE) == before + sent
        assert "process_resident_memory_bytes" not in text  # not summable across processes
    assert not list(tmp_path.glob("petsage-metrics-*"))


def test_prometheus_scrapes_the_management_port_and_counts_what_was_sent() -> None:
    """A real Prometheus scraping the management port every second reports the number of smoke
    tests sent to the main port, and the target is up."""
    management = free_port()
    with (
        running_server(env={"PETSAGE_MANAGEMENT_PORT": str(management)}) as live,
        running_prometheus(management) as prometheus,
    ):
        assert wait_for(prometheus, 'up{job="petsage"}', 1) == 1
        # The server's own start-up wait sent smoke tests too: count from what Prometheus saw.
        base = _requests_total(scrape(management), SMOKE)
        smoke(live.port, 25)
        query = 'sum(petsage_http_requests_total{operation="getSmokeTest",status="200"})'
        assert wait_for(prometheus, query, base + 25) == base + 25
        urllib.request.urlopen(f"http://127.0.0.1:{management}/api/v1/health/ready").close()
        ready = 'petsage_health_probe_status{probe="readiness",status="pass"}'
        assert wait_for(prometheus, ready, 1) == 1
        # The scrapes are counted under the metrics operation, and never written to the log.
        scrapes = 'count(petsage_http_requests_total{operation="getMetrics"})'
        assert wait_for(prometheus, scrapes, 1) == 1
        assert "GET /metrics" not in live.log()
