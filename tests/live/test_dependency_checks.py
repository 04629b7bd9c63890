"""The tcp and http checks in process against real local servers, https and Basic auth included."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from petsage.health.check_types import HttpConfig
from petsage.health.dependencies import HttpCheck, TcpCheck
from petsage.health.models import CheckResult
from petsage.health.runner import Runner
from petsage.health.typing import Check, Registration
from petsage.testing import free_port
from tests.live.standins import recording_http_server, tcp_listener


def _run(check: Check) -> CheckResult:
    runner = Runner([Registration(check, timeout=2)])
    (result,) = asyncio.run(runner.run(runner.names)).values()
    return result


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_tcp_check_passes_on_a_listening_port() -> None:
    """A port that accepts: pass, with the connect time in ms."""
    with tcp_listener() as port:
        result = _run(TcpCheck("db", "127.0.0.1", port))
    assert (result.status, result.observed_unit) == ("pass", "ms")


def test_tcp_check_fails_on_a_closed_port() -> None:
    """Nothing listening: `cannot connect: Connection refused`."""
    result = _run(TcpCheck("db", "127.0.0.1", free_port()))
    assert (result.status, result.output) == ("fail", "cannot connect: Connection refused")


@pytest.mark.parametrize(
    ("path", "expect", "status", "output"),
    [
        ("/health", (200, 299), "pass", None),
        ("/nope", (200, 299), "fail", "unexpected status 404"),
        ("/nope", (404, 404), "pass", None),
    ],
)
def test_http_check_compares_the_status_with_the_range(
    path: str, expect: tuple[int, int], status: str, output: str | None
) -> None:
    """The answer's status inside expect_status passes; outside it fails naming the status."""
    with recording_http_server() as server:
        url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        result = _run(HttpCheck("api", url, *expect))
    assert (result.status, result.output) == (status, output)


def test_userinfo_is_sent_as_basic_auth_and_not_in_host() -> None:
    """user:p%40ss@ in the URL: the server gets `Authorization: Basic user:p@ss`, and a Host
    without the userinfo; a server that demands it answers, so the check passes."""
    with recording_http_server(authorization=_basic("user", "p@ss")) as server:
        port = server.server_address[1]
        result = _run(HttpCheck("api", f"http://user:p%40ss@127.0.0.1:{port}/health"))
        (headers,) = server.requests
    assert (result.status, result.output) == ("pass", None)
    assert headers["Authorization"] == _basic("user", "p@ss")
    assert headers["Host"] == f"127.0.0.1:{port}"


def test_without_userinfo_no_authorization_is_sent() -> None:
    """No userinfo, no Authorization header: the server that demands one answers 401."""
    with recording_http_server(authorization=_basic("user", "pw")) as server:
        result = _run(HttpCheck("api", f"http://127.0.0.1:{server.server_address[1]}/health"))
        (headers,) = server.requests
    assert (result.status, result.output) == ("fail", "unexpected status 401")
    assert "Authorization" not in headers


def test_https_with_the_configured_ca_passes_with_basic_auth(
    server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    """https to a server whose certificate the ca_file's CA signed, with Basic auth: pass."""
    with recording_http_server(authorization=_basic("u", "pw"), tls=server_tls) as server:
        url = f"https://u:pw@127.0.0.1:{server.server_address[1]}/health"
        config = HttpConfig(name="api", type="http", target=url, ca_file=ca_file)
        result = _run(config.build())
        (headers,) = server.requests
    assert (result.status, result.output) == ("pass", None)
    assert headers["Authorization"] == _basic("u", "pw")


def test_https_to_an_unknown_ca_fails_verification(server_tls: ssl.SSLContext) -> None:
    """Without the CA the certificate is not trusted: `cannot connect: TLS ...VERIFY_FAILED`."""
    with recording_http_server(tls=server_tls) as server:
        result = _run(HttpCheck("api", f"https://127.0.0.1:{server.server_address[1]}/health"))
        assert server.requests == []
    assert (result.status, result.output) == (
        "fail",
        "cannot connect: TLS CERTIFICATE_VERIFY_FAILED",
    )


@pytest.fixture
def not_http() -> Iterator[int]:
    """A port that answers every connection with a line that is not HTTP."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)

        def answer() -> None:
            conn, _ = sock.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        yield sock.getsockname()[1]
        thread.join(5)


def test_something_that_is_not_http_fails(not_http: int) -> None:
    """A server that answers with something else: `not an HTTP response`."""
    result = _run(HttpCheck("api", f"http://127.0.0.1:{not_http}/health"))
    assert (result.status, result.output) == ("fail", "not an HTTP response")
