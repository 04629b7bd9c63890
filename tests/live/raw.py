"""Raw-socket HTTP/1.1 for live tests: send exact bytes, read back what the server wrote."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.request
from dataclasses import dataclass, field

from petsage.testing import LiveServer


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, object]:
        """The body as problem details, after checking it is declared as such."""
        assert self.headers["content-type"] == "application/problem+json"
        body: dict[str, object] = json.loads(self.body)
        return body


@dataclass
class Exchange:
    responses: list[RawResponse] = field(default_factory=list)
    raw: bytes = b""
    closed: bool = False  # the server closed (EOF or reset) before the deadline

    @property
    def statuses(self) -> list[int]:
        return [response.status for response in self.responses]


def _parse(buffer: bytes) -> tuple[RawResponse | None, bytes]:
    """The first complete response in ``buffer`` (``Content-Length``-framed), and the rest."""
    head, sep, rest = buffer.partition(b"\r\n\r\n")
    if not sep:
        return None, buffer
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None, buffer
    return RawResponse(int(status_line.split()[1]), headers, rest[:length]), rest[length:]


def parse_responses(buffer: bytes) -> tuple[list[RawResponse], bytes]:
    """Every complete response at the start of ``buffer``, and what is left of it."""
    responses = []
    response, buffer = _parse(buffer)
    while response is not None:
        responses.append(response)
        response, buffer = _parse(buffer)
    return responses, buffer


def exchange(
    port: int, data: bytes, *, responses: int = 1, until_closed: bool = False, timeout: float = 10
) -> Exchange:
    """Send ``data`` on a new connection; read ``responses`` answers, then EOF if asked."""
    result = Exchange()
    buffer = b""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        while time.monotonic() < deadline:
            if len(result.responses) >= responses and not until_closed:
                break
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                result.closed = True
                break
            except TimeoutError:
                break
            if not chunk:
                result.closed = True
                break
            result.raw += chunk
            parsed, buffer = parse_responses(buffer + chunk)
            result.responses += parsed
    return result


def smoke_test_status(server: LiveServer, timeout: float = 10) -> int:
    """The status of a plain ``GET /api/v1/smoke-test`` on a new connection."""
    with urllib.request.urlopen(f"{server.base_url}/api/v1/smoke-test", timeout=timeout) as r:
        return int(r.status)


_REJECTED = re.compile(r"Rejected request from .*: (\d{3}) ")


def rejected_statuses(server: LiveServer) -> list[int]:
    """The status of each answer the HTTP layer logged itself, in order."""
    return [int(status) for status in _REJECTED.findall(server.log())]


def requests_counted(server: LiveServer, method: str, status: int) -> float:
    """``petsage_http_requests_total`` for the HTTP layer's answers (``operation="unmatched"``)."""
    with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    labels = f'method="{method}",operation="unmatched",status="{status}"'
    match = re.search(rf"^petsage_http_requests_total\{{{labels}\}} (\S+)$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0
