"""The benchmark reads wrk's report and judges the targets correctly (no load is generated)."""

from __future__ import annotations

import argparse
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
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # bench's modules import their siblings, as run.py does
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


H2LOAD_REPORT = """finished in 2.34s, 8547.01 req/s, 2.20MB/s
requests: 20000 total, 20000 started, 20000 done, 19994 succeeded, 3 failed, 2 errored, 1 timeout
status codes: 19980 2xx, 0 3xx, 14 4xx, 0 5xx
"""


def test_h2load_report_counts_every_failure() -> None:
    """Requests sent, and every answer that was not a 2xx or never came, counted as failed."""
    result = _load("h2load").parse(H2LOAD_REPORT)
    assert (result.requests, result.succeeded, result.failed) == (20000, 19980, 20)


def test_targets_compare_medians_with_the_peer_and_raw_asgi() -> None:
    """Each target is met or not on the ratio of the medians, in the right direction."""
    report = _load("report")
    samples = {
        "petsage": [
            {
                "requests_per_second": v,
                "cpu_us_per_request": 100.0,
                "p99_ms": 10.0,
                "start_seconds": 0.9,
                "rss_mib": 60.0,
            }
            for v in (4000.0, 5000.0, 4500.0)
        ],
        "fastapi": [
            {
                "requests_per_second": 3000.0,
                "cpu_us_per_request": 150.0,
                "p99_ms": 20.0,
                "start_seconds": 0.8,
                "rss_mib": 50.0,
            }
        ],
        "raw": [
            {
                "requests_per_second": 10000.0,
                "cpu_us_per_request": 40.0,
                "p99_ms": 5.0,
                "start_seconds": 0.2,
                "rss_mib": 30.0,
            }
        ],
        "petsage-ready": [{"requests_per_second": 3000.0, "p99_ms": 12.0}],
    }
    probes = {
        "petsage probe": [{"wall_ms": 90.0, "peak_rss_mib": 20.0}],
        "urllib GET": [{"wall_ms": 40.0, "peak_rss_mib": 10.0}],
    }
    medians, probe = report.summarise(samples), report.summarise(probes)
    met = {t["target"]: (t["value"], t["met"]) for t in report.targets(medians, probe)}
    assert met == {
        "throughput >= 1.25x the FastAPI peer": (1.5, True),
        "throughput >= 0.5x raw ASGI": (0.45, False),
        "CPU per request <= 0.8x the peer's": (0.667, True),
        "p99 <= the peer's": (0.5, True),
        "start to first 200 <= the peer's": (1.125, False),
        "RSS after the run <= the peer's": (1.2, False),
        "health/ready >= 0.8x the smoke test": (0.667, False),
        "`petsage probe` wall time <= 2x a urllib GET": (2.25, False),
        "`petsage probe` peak RSS <= 1.5x a urllib GET": (2.0, False),
    }


def test_a_variant_is_a_name_and_its_variables() -> None:
    """--variant NAME:VAR=VALUE,... names a PetSage contender and the variables it adds."""
    run = _load("run")
    assert run._variant("metrics:PETSAGE_METRICS=true,PETSAGE_X=a=b") == (
        "metrics",
        {"PETSAGE_METRICS": "true", "PETSAGE_X": "a=b"},
    )
    for malformed in ("metrics", ":PETSAGE_METRICS=true", "metrics:PETSAGE_METRICS"):
        with pytest.raises(argparse.ArgumentTypeError):
            run._variant(malformed)


def test_variants_join_the_quiet_contenders() -> None:
    """A variant runs PetSage's command with its variables added, beside the default."""
    servers = _load("servers")
    specs = servers.contenders(Path("petsage"), Path("python"), {"metrics": {"PETSAGE_M": "1"}})
    by_name = {spec.name: spec for spec in specs}
    assert by_name["petsage-metrics"].argv == by_name["petsage"].argv
    assert dict(by_name["petsage-metrics"].env) == {"PETSAGE_M": "1"}
    assert dict(by_name["petsage-logged"].env) == {"PETSAGE_LOG_PROBES": "true"}
    assert "--no-access-log" in by_name["fastapi"].argv
    assert "--no-access-log" not in by_name["fastapi-logged"].argv
