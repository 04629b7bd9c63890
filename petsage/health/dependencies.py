"""Checks of the services PetSage depends on: a TCP connect, an HTTP GET.

The public ``output`` names only what went wrong in a few words; the log gets the detail, with
any credential removed from the URL.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from petsage.health.models import CheckResult

logger = logging.getLogger(__name__)


def redact(url: str) -> str:
    """``url`` without its userinfo (``user:password@``)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started``, a ``time.perf_counter()`` reading: not the loop's clock,
    which under uvloop advances in whole milliseconds."""
    return round((time.perf_counter() - started) * 1000, 3)


def unreachable(name: str, target: str, error: OSError) -> CheckResult:
    logger.warning("health check %r: cannot connect to %s: %r", name, target, error)
    # asyncio's own strerror repeats the address; the errno's text is the reason alone.
    if isinstance(error, ssl.SSLError):
        reason = f"TLS {error.reason or type(error).__name__}"
    elif isinstance(error, socket.gaierror) or not error.errno:
        reason = error.strerror or type(error).__name__
    else:
        reason = os.strerror(error.errno)
    return CheckResult(status="fail", output=f"cannot connect: {reason}")


@dataclass(frozen=True, slots=True)
class TcpCheck:
    """Passes when a TCP connection to ``host:port`` opens."""

    name: str
    host: str
    port: int

    async def check(self) -> CheckResult:
        started = time.perf_counter()
        try:
            _, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            return unreachable(self.name, f"{self.host}:{self.port}", error)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return CheckResult(observed_value=elapsed_ms(started), observed_unit="ms")


@dataclass(frozen=True, slots=True)
class HttpCheck:
    """Passes when ``GET url`` answers with a status in ``[expect_min, expect_max]``.

    Only the status line is read, so a few lines on asyncio streams do the job, and the runner's
    timeout can cancel them at any point.
    """

    name: str
    url: str = field(repr=False)  # its userinfo is a credential
    expect_min: int = 200
    expect_max: int = 299
    ca_file: Path | None = None
    _tls: ssl.SSLContext | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if urlsplit(self.url).scheme == "https":
            # The system's CAs, or only those of ca_file (an internal CA).
            context = ssl.create_default_context(cafile=self.ca_file)
            object.__setattr__(self, "_tls", context)

    def _request(self) -> bytes:
        parts = urlsplit(self.url)
        host = urlsplit(redact(self.url)).netloc
        lines = [
            f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
            f"Host: {host}",
            "User-Agent: petsage-health",
            "Connection: close",
        ]
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            lines.append(f"Authorization: Basic {base64.b64encode(credentials.encode()).decode()}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def check(self) -> CheckResult:
        parts = urlsplit(self.url)
        port = parts.port or (443 if self._tls else 80)
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=self._tls)
        except OSError as error:
            return unreachable(self.name, redact(self.url), error)
        try:
            writer.write(self._request())
            status_line = await reader.readline()
        except OSError as error:
            return unreachable(self.name, redact(self.url), error)
        finally:
            writer.close()
        elapsed = elapsed_ms(started)
        fields = status_line.split(maxsplit=2)
        if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
            logger.warning("health check %r: %s sent %r", self.name, redact(self.url), status_line)
            return CheckResult(status="fail", output="not an HTTP response")
        status = int(fields[1])
        if not self.expect_min <= status <= self.expect_max:
            logger.warning("health check %r: %s answered %d", self.name, redact(self.url), status)
            return CheckResult(
                status="fail",
                observed_value=elapsed,
                observed_unit="ms",
                output=f"unexpected status {status}",
            )
        return CheckResult(observed_value=elapsed, observed_unit="ms")
