"""The metrics of a real `petsage serve`, checked by Debian's promtool and scraped by Prometheus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from petsage.testing import free_port, running_server

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="Debian's prometheus package is not installed (tests/metrics/install-prometheus.sh)",
)
OPENMETRICS = "application/openmetrics-text;version=1.0.0"
SMOKE = {"operation": "getSmokeTest", "method": "GET", "status": "200"}


def _scrape(port: int, accept: str = "text/plain;version=0.0.4") -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def _requests_total(text: str, labels: dict[str, str]) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "petsage_http_requests_total" and sample.labels == labels
    )


def _smoke(port: int, times: int) -> None:
    for _ in range(times):
        # A new connection each: with several workers the kernel spreads them.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/smoke-test", timeout=10):
            pass


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
def test_promtool_finds_nothing_to_fix_in_a_real_scrape(workers: str) -> None:
    """`promtool check metrics` is clean on a scrape of one process and of two workers, and the
    OpenMetrics form of the same scrape parses strictly (promtool reads only the text format)."""
    with running_server("--workers", workers) as live:
        _smoke(live.port, 3)
        urllib.request.urlopen(f"{live.base_url}/api/v1/health/ready", timeout=10).close()
        text = _scrape(live.port)
        openmetrics = _scrape(live.port, OPENMETRICS)
    assert "petsage_health_check_status" in text
    result = _promtool(text)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    families = {family.name for family in openmetrics_families(openmetrics)}  # type: ignore[no-untyped-call]
    assert {"petsage_http_requests", "petsage_health_check_status"} <= families


def test_two_workers_report_the_totals_of_both(tmp_path: Path) -> None:
    """With --workers 2 one scrape counts the requests every worker answered, and the metrics
    directory the server made is gone once it stops."""
    env = {"TMPDIR": str(tmp_path)}
    with running_server("--workers", "2", env=env) as live:
        assert len(list(tmp_path.glob("petsage-metrics-*"))) == 1
        before = _requests_total(_scrape(live.port), SMOKE)
        sent, workers = 0, set[str]()
        # The kernel spreads fresh connections over the two processes unevenly, and the second
        # may still be starting: send until both have answered (bounded).
        while len(workers) < 2 and sent < 1200:
            _smoke(live.port, 60)
            sent += 60
            files = tmp_path.glob("petsage-metrics-*/counter_*")
            workers = {path.name.split("_")[-1] for path in files}
        scrapes = [_scrape(live.port) for _ in range(6)]  # answered by either worker
    assert len(workers) == 2, "both workers answered requests"
    for text in scrapes:
        assert _requests_total(text, SMOKE) == before + sent
        assert "process_resident_memory_bytes" not in text  # not summable across processes
    assert not list(tmp_path.glob("petsage-metrics-*"))


@contextmanager
def _prometheus(target_port: int) -> Iterator[int]:
    """Debian's Prometheus on 127.0.0.1, scraping ``target_port`` every second."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="petsage-prometheus-") as tmp:
        config = Path(tmp, "prometheus.yml")
        config.write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: petsage\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n"
        )
        with Path(tmp, "prometheus.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    str(PROMETHEUS),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp}/data",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "HOME": tmp},
            )
        try:
            yield port
        finally:
            process.terminate()
            process.wait(30)


def _query(port: int, expression: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
    except OSError:
        return []  # not up yet
    result: list[dict[str, object]] = body["data"]["result"]
    return result


def _wait_for(port: int, expression: str, expected: float, within: float = 60) -> float | None:
    deadline = time.monotonic() + within
    seen = None
    while time.monotonic() < deadline:
        result = _query(port, expression)
        if result:
            seen = float(result[0]["value"][1])  # type: ignore[index]
            if seen == expected:
                return seen
        time.sleep(0.5)
    return seen


def test_prometheus_scrapes_the_management_port_and_counts_what_was_sent() -> None:
    """A real Prometheus scraping the management port every second reports the number of smoke
    tests sent to the main port, and the target is up."""
    management = free_port()
    with (
        running_server(env={"PETSAGE_MANAGEMENT_PORT": str(management)}) as live,
        _prometheus(management) as prometheus,
    ):
        assert _wait_for(prometheus, 'up{job="petsage"}', 1) == 1
        # The server's own start-up wait sent smoke tests too: count from what Prometheus saw.
        base = _requests_total(_scrape(management), SMOKE)
        _smoke(live.port, 25)
        query = 'sum(petsage_http_requests_total{operation="getSmokeTest",status="200"})'
        assert _wait_for(prometheus, query, base + 25) == base + 25
        urllib.request.urlopen(f"http://127.0.0.1:{management}/api/v1/health/ready").close()
        ready = 'petsage_health_probe_status{probe="readiness",status="pass"}'
        assert _wait_for(prometheus, ready, 1) == 1
        # The scrapes are counted under the metrics operation, and never written to the log.
        scrapes = 'count(petsage_http_requests_total{operation="getMetrics"})'
        assert _wait_for(prometheus, scrapes, 1) == 1
        assert "/metrics" not in live.log()
