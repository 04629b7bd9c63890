"""Logging: every logger through one format; JSON is one object a line."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from collections.abc import Iterator

import pytest

from petsage.logs import JsonFormatter, log_config
from petsage.middleware.access_log import ACCESS_LOGGER, LINE
from petsage.protocol.limits import PARSER_ERROR_LINE
from petsage.settings import Settings


def _access(path: str, status: int) -> logging.LogRecord:
    args = ("127.0.0.1:5000", "GET", path, "1.1", status, "getReadiness", 1.5)
    return logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, LINE, args, None)


def test_json_line_carries_the_request_fields() -> None:
    """An access line is one JSON object with the method, path, status, operation and duration."""
    entry = json.loads(JsonFormatter().format(_access("/api/v1/health/ready", 503)))
    assert entry["level"] == "info"
    assert entry["logger"] == ACCESS_LOGGER
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/v1/health/ready", 503)
    assert (entry["operationId"], entry["durationMs"]) == ("getReadiness", 1.5)
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


@pytest.fixture
def configured(request: pytest.FixtureRequest) -> Iterator[None]:
    """The logging configuration `petsage serve` installs, undone after the test."""
    loggers = [logging.getLogger(name) for name in _NAMES]
    saved = [(logger, logger.__dict__.copy()) for logger in loggers]
    logging.config.dictConfig(log_config(request.param))
    yield
    for logger, state in saved:
        logger.__dict__.clear()
        logger.__dict__.update(state)


_NAMES = ("", "uvicorn", "uvicorn.error", "uvicorn.access", ACCESS_LOGGER, "connexion", "asyncio")


def _handlers(name: str) -> list[logging.Handler]:
    # The handlers a record of logger ``name`` reaches, as Logger.callHandlers walks them
    # (but pytest's own capturing ones).
    logger: logging.Logger | None = logging.getLogger(name)
    found: list[logging.Handler] = []
    while logger is not None:
        found += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.parametrize("configured", [Settings(log_format="json")], indirect=True)
@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    "name",
    [
        "connexion.middleware.exceptions",
        "asyncio",
        "petsage.health",
        "uvicorn.error",
        "",
        ACCESS_LOGGER,
    ],
)
def test_every_logger_writes_through_the_configured_format(name: str) -> None:
    """Connexion's, asyncio's, PetSage's, uvicorn's and the root logger reach one JSON handler."""
    (handler,) = _handlers(name)
    assert isinstance(handler.formatter, JsonFormatter)


@pytest.mark.parametrize("configured", [Settings()], indirect=True)
@pytest.mark.usefixtures("configured")
def test_uvicorn_access_log_is_off() -> None:
    """uvicorn's access logger has nowhere to write (its protocol skips building the line);
    PetSage's has."""
    assert _handlers("uvicorn.access") == []
    assert len(_handlers(ACCESS_LOGGER)) == 1


@pytest.mark.parametrize("configured", [Settings()], indirect=True)
@pytest.mark.usefixtures("configured")
def test_uvicorns_parser_error_line_is_dropped_and_its_other_lines_kept() -> None:
    """The HTTP layer logs its own line for a request it refuses; uvicorn's `Invalid HTTP request
    received.` is left out, its other lines are not."""
    logger = logging.getLogger("uvicorn.error")

    def kept(message: str) -> bool:
        record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, (), None)
        return logger.filter(record)

    assert not kept(PARSER_ERROR_LINE)
    assert kept(
        "Rejected request from ('127.0.0.1', 5): 431 The request header section is too large."
    )
