"""What an anonymous caller of the public port can ask, and what none of the answers may hold.

Shared by the live tests of each configuration (default, management listener) and the image's."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

# Every public path that could tell about the checks or the process, errors included.
PUBLIC_PATHS = (
    "/api/v1/health/live",
    "/api/v1/health/ready",
    "/api/v1/health/ready?exclude=memory",
    "/api/v1/health/ready?exclude=no-such-check",
    "/api/v1/health/ready/memory",
    "/api/v1/health/ready/shutdown",
    "/api/v1/health/ready/no-such-check",
    "/api/v1/health/ready/Not_A_Name",
    "/metrics",
    "/no-such-path",
)
# What the full documents and the metrics hold and the public answers must not: the built-in
# checks' names and measurements, observed values, the process's metrics.
INSIDE = (
    "checks",
    "event-loop",
    "memory",
    "uptime",
    "shutdown",
    "observed",
    "rss",
    "MiB",
    "process_",
    "python_gc",
    "petsage_health",
)


def anonymous_answers(base_url: str, method: str = "GET") -> dict[str, tuple[int, str]]:
    """Each of ``PUBLIC_PATHS`` asked without credentials: path -> (status, headers and body)."""
    parts = urlsplit(base_url)
    answers = {}
    for path in PUBLIC_PATHS:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            text = f"{response.headers}\n{response.read().decode(errors='replace')}"
            answers[path] = (response.status, text)
        finally:
            connection.close()
    return answers


def leaks(answers: dict[str, tuple[int, str]], secrets: tuple[str, ...]) -> list[str]:
    """``path: word`` for each of ``INSIDE`` and ``secrets`` that an answer holds, the words the
    path itself names aside."""
    return [
        f"{path}: {word}"
        for path, (_, text) in answers.items()
        for word in (*INSIDE, *secrets)
        if word in text and word not in path
    ]
