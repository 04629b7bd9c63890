"""The logging configuration handed to uvicorn: every logger through one format, text or one
JSON object a line; access lines (``petsage.middleware.access_log``) on stdout, the rest on
stderr."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from petsage.middleware.access_log import ACCESS_LOGGER, FIELDS
from petsage.protocol.limits import PARSER_ERROR_LINE
from petsage.settings import Settings

# Connexion logs every 4xx problem it answers (``BadRequestProblem(...)``) at WARNING from here.
CONNEXION_PROBLEMS = "connexion.middleware.exceptions"


class ClientProblemsAtDebug(logging.Filter):
    """Connexion's line for each 4xx problem, at DEBUG: any client could otherwise write warnings
    into the log at will, and the access line already records the answer. Its ERROR lines (5xx)
    are kept as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


class WithoutParserErrorLine(logging.Filter):
    """Drops uvicorn's ``Invalid HTTP request received.``: the HTTP layer logs its own line, with
    the status it answered, for each request it refuses."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != PARSER_ERROR_LINE


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
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple):
            entry |= dict(zip(FIELDS, record.args, strict=False))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` configuration: the root logger (so Connexion's, asyncio's
    and PetSage's) and uvicorn's through the same handler and format; uvicorn's access logger
    unused, since ``petsage.access`` writes one line per response itself; Connexion's warning for
    each client error at DEBUG (``ClientProblemsAtDebug``); uvicorn's line for a request its
    parser refuses dropped (``WithoutParserErrorLine``)."""
    if settings.log_format == "json":
        formatter: dict[str, Any] = {"()": JsonFormatter}
    else:
        formatter = {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"}
    level = settings.log_level.upper()

    def stream(name: str) -> dict[str, str]:
        return {"class": "logging.StreamHandler", "formatter": "default", "stream": name}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {
            "client_problems": {"()": ClientProblemsAtDebug},
            "no_parser_error_line": {"()": WithoutParserErrorLine},
        },
        "handlers": {"default": stream("ext://sys.stderr"), "access": stream("ext://sys.stdout")},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own, as uvicorn configures them, but to the shared handler.
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"filters": ["no_parser_error_line"]},
            "uvicorn.access": {"handlers": [], "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": level, "propagate": False},
            CONNEXION_PROBLEMS: {"filters": ["client_problems"]},
        },
    }
