"""``petsage probe``: one HTTP GET with the standard library, for images without curl.

A container ``HEALTHCHECK`` runs this every few seconds, so its whole import path is the standard
library: nothing here (nor in ``petsage/__init__.py``, ``__main__.py`` and ``cli.py`` before they
hand over) imports pydantic, Connexion, uvicorn or yaml. The defaults are read from the same
``PETSAGE_*`` variables ``Settings`` reads; ``tests/unit/test_probe.py`` keeps them, and the
readiness path, true to ``Settings`` and the contract.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

READINESS_PATH = "/api/v1/health/ready"  # the contract's base path + /health/ready
DEFAULT_HOST = "127.0.0.1"  # Settings.host's default
DEFAULT_PORT = 8000  # Settings.port's default
EXIT_OK = 0
EXIT_UNHEALTHY = 1  # the endpoint did not answer 2xx
EXIT_CONFIG = 78  # sysexits EX_CONFIG: a PETSAGE_* variable is wrong

_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # wildcards: ask loopback


class ProbeConfigError(ValueError):
    """Raised when a ``PETSAGE_*`` variable the default URL is built from is not valid."""


def _port(environ: Mapping[str, str], name: str) -> int | None:
    text = environ.get(name)
    if text is None:
        return None
    try:
        port = int(text)
    except ValueError:
        raise ProbeConfigError(f"{name}: not an integer: {text!r}") from None
    if not 0 < port <= 65535:
        raise ProbeConfigError(f"{name}: not a port to probe: {port}")
    return port


def default_url(environ: Mapping[str, str] = os.environ) -> str:
    """The local readiness endpoint: ``PETSAGE_HOST`` (a wildcard as loopback) and the management
    port when ``PETSAGE_MANAGEMENT_PORT`` is set, else ``PETSAGE_PORT``."""
    host = environ.get("PETSAGE_HOST", DEFAULT_HOST)
    host = _LOOPBACK.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    port = _port(environ, "PETSAGE_MANAGEMENT_PORT") or _port(environ, "PETSAGE_PORT")
    return f"http://{host}:{port or DEFAULT_PORT}{READINESS_PATH}"


def _summary(body: bytes) -> str:
    # A health document's status and output, when the body is one.
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    return " ".join(str(document[k]) for k in ("status", "output") if k in document)


def probe(url: str, timeout: float) -> tuple[bool, str]:
    """GET ``url``: whether it answered 2xx, and one line saying what happened."""
    if not url.startswith(("http://", "https://")):
        return False, f"{url}: not an http:// or https:// URL"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        return False, f"{url}: unreachable: {reason}"
    line = f"{url}: {status} {_summary(body)}".rstrip()
    return 200 <= status < 300, line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``petsage probe``."""
    parser.add_argument(
        "url",
        nargs="?",
        metavar="URL",
        help="default: the readiness endpoint at PETSAGE_HOST and PETSAGE_MANAGEMENT_PORT, "
        "or PETSAGE_PORT when no management port is set",
    )
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait (default 2.0)")


def run(url: str | None, timeout: float) -> int:
    """Probe ``url`` (default: ``default_url()``), print one line, return the exit code."""
    try:
        target = url or default_url()
    except ProbeConfigError as error:
        print(f"petsage: invalid settings: {error}", file=sys.stderr)
        return EXIT_CONFIG
    healthy, line = probe(target, timeout)
    print(line)
    return EXIT_OK if healthy else EXIT_UNHEALTHY
