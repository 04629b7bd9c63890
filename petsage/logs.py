"""The logging configuration handed to uvicorn: quiet probes, and text or one JSON object a line."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from petsage.contract import is_monitoring_path
from petsage.settings import Settings


def _access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    # uvicorn.access logs '%s - "%s %s HTTP/%s" %d' with these five arguments.
    if record.name != "uvicorn.access" or not isinstance(record.args, tuple):
        return None
    if len(record.args) != 5:
        return None
    client, method, path, http_version, status = record.args
    return {
        "client": client,
        "method": method,
        "path": path,
        "httpVersion": http_version,
        "status": status,
    }


class QuietProbes(logging.Filter):
    """Drops the access-log lines of successful monitoring requests (smoke test, health, metrics:
    the contract's ``System Health`` operations); failures stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _access_fields(record)
        if fields is None or not isinstance(fields["status"], int) or fields["status"] >= 400:
            return True
        path = str(fields["path"]).partition("?")[0]
        return not is_monitoring_path(path.encode("utf-8", "surrogateescape"))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message; the request's fields for access
    lines; the traceback as ``error``. Request headers are never logged."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= _access_fields(record) or {}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's own logging configuration, with the probes filter, the JSON format if asked,
    and PetSage's loggers (the health checks' errors) written by the same handler."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    if not settings.log_probes:
        config.setdefault("filters", {})["quiet_probes"] = {"()": QuietProbes}
        config["handlers"]["access"]["filters"] = ["quiet_probes"]
    if settings.log_format == "json":
        for formatter in config["formatters"].values():
            formatter.clear()
            formatter["()"] = JsonFormatter
    config["loggers"]["petsage"] = {
        "handlers": ["default"],
        "level": settings.log_level.upper(),
        "propagate": False,
    }
    return config
