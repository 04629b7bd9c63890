"""uvicorn's httptools protocol with the bounds it lacks (uvicorn#157).

Every request is held to a header size, a header count, a request-target length, a deadline to
finish its header section, and RFC 9112's ``Host`` rules; what fails is answered with problem+json
and the connection closed, before the app sees anything. uvicorn's own 400 for bytes that are not
HTTP/1.x is answered the same way instead of text/plain.

uvicorn's ``timeout_keep_alive`` runs only from a response to the first byte of the next request:
nothing bounds a connection before its first request, or while its headers drip in (slowloris).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, NoReturn

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from petsage.protocol.hosts import host_name, is_allowed
from petsage.settings import Settings

_NOT_HTTP = "The request is not valid HTTP/1.1."
# RFC 3986 §2.1: "%" is always followed by two hex digits; httptools lets anything through.
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class HttpLimits:
    """What one request may make the server hold, and which hosts it may name."""

    max_header_bytes: int
    max_header_count: int
    max_url_bytes: int
    header_timeout: float
    allowed_hosts: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_header_count=settings.max_header_count,
            max_url_bytes=settings.max_url_bytes,
            header_timeout=settings.header_timeout,
            allowed_hosts=tuple(settings.allowed_hosts),
        )


class _RejectedError(Exception):
    """Raised from a parser callback to stop parsing; ``send_400_response`` answers ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def problem_bytes(status: int, detail: str, extra_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete problem+json response that closes the connection."""
    title = HTTPStatus(status).phrase
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    headers = [
        *extra_headers,
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"connection", b"close"),
    ]
    lines = [name + b": " + value + b"\r\n" for name, value in headers]
    return b"".join([STATUS_LINE[status], *lines, b"\r\n", body])


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """Served with ``uvicorn.run(http=partial(LimitedHttpToolsProtocol, limits=...))``."""

    def __init__(self, *args: Any, limits: HttpLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._rejection: _RejectedError | None = None
        self._header_deadline: asyncio.TimerHandle | None = None
        self._in_header_section = True
        self._header_bytes = 0
        self._header_count = 0
        # Bytes fed since the parser last reported progress: a header name or value it is still
        # accumulating inside httptools, which no callback shows us until it is complete.
        self._unreported_bytes = 0
        # A problem found while earlier pipelined requests are still being answered waits for them.
        self._deferred_problem: bytes | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._deferred_problem is not None:
            return  # the request stream is already known to be bad: nothing more is parsed
        self._unreported_bytes += len(data)
        super().data_received(data)
        if (
            self._in_header_section
            and self._header_bytes + self._unreported_bytes > self.limits.max_header_bytes
            and not self.transport.is_closing()
        ):
            self._send_problem(431, "The request header section is too large.")

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this for any parser error, ours (raised from a callback) included.
        rejection, self._rejection = self._rejection, None
        if rejection is None:
            self._send_problem(400, _NOT_HTTP)
        else:
            self._send_problem(rejection.status, rejection.detail)

    # Parser callbacks.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_header_section = True
        self._header_bytes = self._header_count = 0

    def on_url(self, url: bytes) -> None:
        self._unreported_bytes = 0
        super().on_url(url)
        if len(self.url) > self.limits.max_url_bytes:
            self._reject(414, "The request target is too long.")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._unreported_bytes = 0
        self._header_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        self._header_count += 1
        if self._header_count > self.limits.max_header_count:
            self._reject(431, "The request has too many header fields.")
        if self._header_bytes > self.limits.max_header_bytes:
            self._reject(431, "The request header section is too large.")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._unreported_bytes = 0
        self._in_header_section = False
        self._disarm_header_deadline()
        if self.parser.get_http_version() not in ("1.0", "1.1"):
            self._reject(400, "Only HTTP/1.0 and HTTP/1.1 are served on this port.")
        if _BAD_PERCENT.search(self.url):
            self._reject(400, "The request target has an invalid percent-encoding.")
        self._check_host()
        self._check_framing()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._unreported_bytes = 0
        super().on_body(body)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self._deferred_problem is not None and not self.pipeline:
            self.transport.write(self._deferred_problem)
            self.transport.close()
        elif self.timeout_keep_alive_task is not None:
            # uvicorn armed its keep-alive timer: the connection now waits for a next request.
            self._arm_header_deadline()

    def _check_host(self) -> None:
        hosts = [value for name, value in self.headers if name == b"host"]
        if len(hosts) > 1:
            self._reject(400, "The request has more than one Host header.")
        if not hosts:
            if self.parser.get_http_version() == "1.1":
                self._reject(400, "An HTTP/1.1 request needs a Host header.")
            return
        host = host_name(hosts[0])
        if host is None:
            self._reject(400, "The Host header is not a valid host.")
        elif not is_allowed(host, self.url, self.limits.allowed_hosts):
            self._reject(400, "The Host header names a host this server does not serve.")

    def _check_framing(self) -> None:
        # llhttp flags this only after on_headers_complete, when the app would already have the
        # request; RFC 9112 §6.3 says: 400 and close, before anything is served.
        codings = b",".join(value for name, value in self.headers if name == b"transfer-encoding")
        if codings and codings.rsplit(b",", 1)[-1].strip().lower() != b"chunked":
            self._reject(400, "The request's Transfer-Encoding does not end in chunked.")

    def _reject(self, status: int, detail: str) -> NoReturn:
        self._rejection = _RejectedError(status, detail)
        raise self._rejection

    def _send_problem(self, status: int, detail: str) -> None:
        self.logger.info("Rejected request from %s: %d %s", self.client, status, detail)
        response = problem_bytes(status, detail, self.server_state.default_headers)
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not cycle.response_started:
            # The fault is in this request's own body: it gets the problem instead of an answer.
            cycle.disconnected = True
        if self.pipeline or (
            cycle is not None and not cycle.response_complete and not cycle.disconnected
        ):
            # Answer the requests parsed before the fault first: responses go in request order.
            self._deferred_problem = response
            self.flow.pause_reading()
            return
        self.transport.write(response)
        self.transport.close()

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(
            self.limits.header_timeout, self._header_deadline_passed
        )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        # Idle, or dripping its headers (slowloris): the slot is worth more to someone else.
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
