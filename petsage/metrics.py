"""Prometheus metrics: the series PetSage exposes, and their exposition.

One process: the default registry, with the process, platform and garbage-collector collectors
the library adds. Several workers (``petsage serve --workers N``): the library's multiprocess
mode; the supervisor creates ``PROMETHEUS_MULTIPROC_DIR`` before the workers start (so it is set
when they import this module) and removes it when they are gone, and a scrape of any worker sums
every worker's files. The library cannot read another process's CPU or memory, so the ``process_*``
series are absent there.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import mkdtemp

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

from petsage import __version__
from petsage.health.models import CheckResult, Status

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
_STATUSES: tuple[Status, ...] = ("pass", "warn", "fail")
# Anything else a client sends as a method is counted as "other": a label never grows unbounded.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "petsage_http_requests",
    "HTTP requests answered, by the contract's operationId (unmatched: no operation), method"
    " and status.",
    ["operation", "method", "status"],
)
REQUEST_DURATION = Histogram(
    "petsage_http_request_duration_seconds",
    "Time from a request reaching the app to the end of its response, by operation.",
    ["operation", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge(
    "petsage_http_requests_in_flight",
    "Requests the app is handling right now.",
    multiprocess_mode="livesum",
)
CHECK_STATUS = Gauge(
    "petsage_health_check_status",
    "1 for the status of a health check's last run, 0 for the other statuses.",
    ["check", "status"],
    multiprocess_mode="livemostrecent",
)
CHECK_DURATION = Histogram(
    "petsage_health_check_duration_seconds",
    "How long a health check's runs took (cached answers are not runs).",
    ["check"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CHECK_LAST_RUN = Gauge(
    "petsage_health_check_last_run_timestamp_seconds",
    "Unix time a health check's last run finished.",
    ["check"],
    multiprocess_mode="livemax",
)
PROBE_STATUS = Gauge(
    "petsage_health_probe_status",
    "1 for the aggregate status of the last liveness or readiness answer, 0 for the others.",
    ["probe", "status"],
    multiprocess_mode="livemostrecent",
)
DRAINING = Gauge(
    "petsage_draining",
    "1 from the stop signal on, while readiness fails and the server drains.",
    multiprocess_mode="livemax",
)
BUILD_INFO = Gauge(
    "petsage_build_info",
    "Always 1; the labels say which release and Python serve.",
    ["version", "python_version"],
    multiprocess_mode="livemax",
)
BUILD_INFO.labels(__version__, platform.python_version()).set(1)
DRAINING.set(0)


def method_label(method: str) -> str:
    """``method`` when it is a common one, else ``other``."""
    return method if method in _METHODS else "other"


def count_server_answer(method: str, status: int) -> None:
    """Count an answer the HTTP layer wrote itself, to a request no operation held
    (``petsage.protocol.limits.Listener.answered``)."""
    REQUESTS.labels(UNMATCHED, method_label(method), str(status)).inc()


def _set_status(gauge: Gauge, status: Status, *labels: str) -> None:
    for candidate in _STATUSES:
        gauge.labels(*labels, candidate).set(1 if candidate == status else 0)


class HealthMetrics:
    """What the health service reports: each check run, each probe's aggregate."""

    def check_ran(self, name: str, result: CheckResult, seconds: float) -> None:
        _set_status(CHECK_STATUS, result.status, name)
        CHECK_DURATION.labels(name).observe(seconds)
        CHECK_LAST_RUN.labels(name).set(time.time())

    def probe_answered(self, probe: str, status: Status) -> None:
        _set_status(PROBE_STATUS, status, probe)


def registry() -> CollectorRegistry:
    """What a scrape collects: every worker's files in multiprocess mode, else this process."""
    if MULTIPROC_DIR not in os.environ:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
    return collected


def exposition(accept: str) -> tuple[bytes, str]:
    """The metrics and their media type: OpenMetrics when ``accept`` asks for it, else
    Prometheus's text format."""
    encoder, media_type = choose_encoder(accept)
    return encoder(registry()), media_type


@contextmanager
def multiprocess_directory() -> Iterator[Path]:
    """``PROMETHEUS_MULTIPROC_DIR``, a fresh directory, set for the processes started in the
    block (the workers); removed with everything in it when the block ends."""
    directory = Path(mkdtemp(prefix="petsage-metrics-"))
    os.environ[MULTIPROC_DIR] = str(directory)
    try:
        yield directory
    finally:
        del os.environ[MULTIPROC_DIR]
        for entry in directory.iterdir():
            entry.unlink()
        directory.rmdir()


def worker_exited(pid: int) -> None:
    """Drop a stopped worker's live gauges (in flight, check and probe status) from the totals."""
    if MULTIPROC_DIR in os.environ:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
