"""Logging: successful probes stay out of the access log; JSON is one object a line."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from petsage.logs import JsonFormatter, QuietProbes, log_config
from petsage.settings import Settings


def _access(path: str, status: int) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", status),
        None,
    )


@pytest.mark.parametrize(
    ("path", "status", "logged"),
    [
        ("/api/v1/smoke-test", 200, False),
        ("/api/v1/smoke_test", 200, False),
        ("/api/v1/health/live", 200, False),
        ("/api/v1/health/ready?exclude=memory", 200, False),
        ("/api/v1/health/ready/pet-db", 200, False),
        ("/api/v1/health/ready", 503, True),
        ("/api/v1/health/ready?exclude=nope", 400, True),
        ("/api/v1/smoke-test", 500, True),
        ("/api/v1/openapi.json", 200, True),
        ("/api/v1/smoke-test-x", 200, True),
        ("/", 200, True),
    ],
)
def test_only_failed_probes_reach_the_access_log(path: str, status: int, logged: bool) -> None:
    """2xx/3xx on the smoke and health paths are dropped; failures and other paths are kept."""
    assert QuietProbes().filter(_access(path, status)) is logged


def test_json_line_carries_the_request_fields() -> None:
    """An access line is one JSON object with the method, path and status."""
    entry = json.loads(JsonFormatter().format(_access("/api/v1/health/ready", 503)))
    assert entry["level"] == "info"
    assert entry["logger"] == "uvicorn.access"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/v1/health/ready", 503)
    assert entry["time"].endswith("+00:00")


def test_json_line_holds_a_traceback_in_one_line() -> None:
    """An error's traceback is a field of the object, so the output stays one object a line."""
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("petsage", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["error"]


@pytest.mark.parametrize(("log_probes", "filtered"), [(False, True), (True, False)])
def test_log_probes_turns_the_filter_off(log_probes: bool, filtered: bool) -> None:
    """PETSAGE_LOG_PROBES=true leaves the access handler unfiltered."""
    config = log_config(Settings(log_probes=log_probes))
    assert ("quiet_probes" in config["handlers"]["access"].get("filters", [])) is filtered
