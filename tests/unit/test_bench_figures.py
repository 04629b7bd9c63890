"""The benchmark reads wrk's report and judges the targets correctly (no load is generated)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[2] / "bench"

WRK_REPORT = """Running 6s test @ http://127.0.0.1:40000/api/v1/smoke-test
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.40ms    2.10ms  40.00ms   90.00%
    Req/Sec     4.30k   300.00     5.00k    70.00%
  Latency Distribution
     50%  740.00us
     75%    8.10ms
     90%    9.00ms
     99%    1.23s
  25926 requests in 6.00s, 6.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   4321.00
Transfer/sec:      1.00MB
"""


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_wrk_report_is_read_with_its_units() -> None:
    """Requests/s, p50 and p99 in ms whatever wrk's unit, and every error answer counted."""
    result = _load("wrk").parse(WRK_REPORT)
    assert (result.requests_per_second, result.p50_ms, result.p99_ms) == (4321.0, 0.74, 1230.0)
    assert (result.requests, result.errors) == (25926, 7)


def test_wrk_report_without_latencies_is_an_error() -> None:
    """A run that answered nothing is reported, not read as zeros."""
    with pytest.raises(ValueError, match="no latency distribution"):
        _load("wrk").parse("Running 2s test\n  0 requests in 2.00s, 0B read\n")


def test_targets_compare_medians_with_the_peer_and_raw_asgi() -> None:
    """Each target is met or not on the ratio of the medians, in the right direction."""
    report = _load("report")
    samples = {
        "petsage": [
            {"requests_per_second": v, "p99_ms": 10.0, "start_seconds": 0.9, "rss_mib": 60.0}
            for v in (4000.0, 5000.0, 4500.0)
        ],
        "fastapi": [
            {"requests_per_second": 3000.0, "p99_ms": 20.0, "start_seconds": 0.8, "rss_mib": 50.0}
        ],
        "raw": [
            {"requests_per_second": 10000.0, "p99_ms": 5.0, "start_seconds": 0.2, "rss_mib": 30.0}
        ],
        "petsage-ready": [{"requests_per_second": 3000.0, "p99_ms": 12.0}],
    }
    met = {t["target"]: (t["value"], t["met"]) for t in report.targets(report.summarise(samples))}
    assert met == {
        "throughput >= 1.2x the FastAPI peer": (1.5, True),
        "throughput >= 0.5x raw ASGI": (0.45, False),
        "p99 <= the peer's (ratio)": (0.5, True),
        "start to first 200 <= the peer's (ratio)": (1.125, False),
        "RSS after the run <= the peer's (ratio)": (1.2, False),
        "health/ready >= 0.8x the smoke test": (0.667, False),
    }
