"""A real PetSage's scrape and Debian's Prometheus, for the tests of this directory."""

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
from typing import Any

import pytest

from petsage.testing import free_port

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="Debian's prometheus package is not installed (tests/metrics/install-prometheus.sh)",
)


def scrape(port: int, accept: str = "text/plain;version=0.0.4") -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def smoke(port: int, times: int) -> None:
    for _ in range(times):
        # A new connection each: with several workers the kernel spreads them.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/smoke-test", timeout=10):
            pass


@contextmanager
def running_prometheus(target_port: int, rules: Path | None = None) -> Iterator[int]:
    """Debian's Prometheus on 127.0.0.1, scraping ``target_port`` as the job ``petsage`` every
    second and evaluating ``rules`` (a rule file) every second."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="petsage-prometheus-") as tmp:
        config = Path(tmp, "prometheus.yml")
        config.write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
            + (f"rule_files: ['{rules}']\n" if rules else "")
            + "scrape_configs:\n"
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


def api(port: int, path: str, **params: str) -> Any:
    """The ``data`` of Prometheus's HTTP API answer at ``path``, or None while it is not up."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{query}", timeout=5) as answer:
            return json.loads(answer.read())["data"]
    except OSError:
        return None


def query(port: int, expression: str) -> list[dict[str, Any]]:
    """The instant vector ``expression`` evaluates to now (empty while Prometheus is not up)."""
    data = api(port, "/api/v1/query", query=expression)
    return [] if data is None else list(data["result"])


def wait_for(port: int, expression: str, expected: float, within: float = 60) -> float | None:
    """The value of ``expression``'s first sample once it is ``expected``, or the last seen."""
    deadline = time.monotonic() + within
    seen = None
    while time.monotonic() < deadline:
        result = query(port, expression)
        if result:
            seen = float(result[0]["value"][1])
            if seen == expected:
                return seen
        time.sleep(0.5)
    return seen
