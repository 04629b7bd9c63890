"""A malformed-input battery over raw sockets against one real ``petsage serve``.

Each case states the exact statuses the RFCs call for (RFC 9110, RFC 9112) and whether the
server must close the connection. Whatever the case, no 5xx and no traceback is ever sent, and
the smoke test answers afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from petsage.testing import LiveServer, running_server
from tests.live.raw import exchange, smoke_test_status

OK = b"GET /api/v1/smoke-test HTTP/1.1\r\nHost: localhost\r\n\r\n"


def get(target: bytes = b"/api/v1/smoke-test", *headers: bytes, version: bytes = b"1.1") -> bytes:
    """A request line with ``Host: localhost`` and ``headers``, each a complete field line."""
    lines = [b"GET " + target + b" HTTP/" + version, b"Host: localhost", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def bare(*lines: bytes) -> bytes:
    """Exactly ``lines`` as a header section, nothing added."""
    return b"\r\n".join(lines) + b"\r\n\r\n"


@dataclass(frozen=True)
class Case:
    id: str
    request: bytes
    statuses: tuple[int, ...]
    closes: bool = False  # the RFC, or our rule for a rejected request, says: close after


def _headers(count: int, size: int) -> list[bytes]:
    return [b"X-Filler-%03d: " % i + b"v" * size for i in range(count)]


CASES = [
    # Request line (RFC 9112 §3).
    Case("valid-request", OK, (200,)),
    Case("empty-lines-before-request-line", b"\r\n\r\n" + OK, (200,)),  # §2.2: SHOULD ignore
    Case("lower-case-method", OK.replace(b"GET", b"get", 1), (400,), closes=True),
    Case("unknown-method", OK.replace(b"GET", b"BREW", 1), (400,), closes=True),
    Case("missing-request-target", bare(b"GET HTTP/1.1", b"Host: localhost"), (400,), True),
    Case("space-inside-target", get(b"/api/v1/smoke test"), (400,), closes=True),
    Case("raw-non-ascii-in-target", get(b"/api/v1/smoke-t\xc3\xa9st"), (400,), closes=True),
    Case("bare-lf-line-endings", OK.replace(b"\r\n", b"\n"), (400,), closes=True),
    Case("bare-cr-line-endings", OK.replace(b"\r\n", b"\r"), (400,), closes=True),
    # Methods the parser knows but the contract does not declare (RFC 9110 §15.5.6).
    Case("trace-is-not-allowed", OK.replace(b"GET", b"TRACE", 1), (405,)),
    Case("post-is-not-allowed", OK.replace(b"GET", b"POST", 1), (405,)),
    Case("propfind-is-not-allowed", OK.replace(b"GET", b"PROPFIND", 1), (405,)),
    Case("connect-to-an-authority", bare(b"CONNECT a:443 HTTP/1.1", b"Host: a:443"), (400,), True),
    # Versions (RFC 9112 §2.3).
    Case("http-1.0-without-host", bare(b"GET /api/v1/smoke-test HTTP/1.0"), (200,), closes=True),
    Case("http-2.0-request-line", get(version=b"2.0"), (400,), closes=True),
    Case("http-0.9-simple-request", b"GET /api/v1/smoke-test\r\n\r\n", (400,), closes=True),
    Case("lower-case-protocol-name", OK.replace(b"HTTP/1.1", b"http/1.1"), (400,), True),
    Case("two-digit-version", get(version=b"11.1"), (400,), closes=True),
    # Path and query encoding (RFC 3986).
    Case("invalid-percent-escape-in-path", get(b"/api/v1/smoke%zz"), (400,), closes=True),
    Case("invalid-percent-escape-in-query", get(b"/api/v1/smoke-test?a=%G1"), (400,), True),
    Case("truncated-percent-escape", get(b"/api/v1/smoke-test%4"), (400,), closes=True),
    Case("encoded-nul-names-no-resource", get(b"/api/v1/smoke-test%00"), (404,)),
    Case("dot-segments-are-not-resolved", get(b"/api/v1/../v1/smoke-test"), (404,)),
    Case("unknown-query-parameters-are-ignored", get(b"/api/v1/smoke-test?a=1&&=&b"), (200,)),
    Case("absolute-form-target", get(b"http://localhost/api/v1/smoke-test"), (200,)),
    Case("target-over-8-kib", get(b"/api/v1/smoke-test?q=" + b"a" * 8200), (414,), True),
    Case("target-just-under-8-kib", get(b"/api/v1/smoke-test?q=" + b"a" * 8000), (200,)),
    # Header syntax (RFC 9112 §5, RFC 9110 §5.5).
    Case("whitespace-before-colon", get(b"/api/v1/smoke-test", b"X-A : 1"), (400,), True),
    Case("obsolete-line-folding", get(b"/api/v1/smoke-test", b"X-A: 1", b" 2"), (400,), True),
    Case("field-line-without-colon", get(b"/api/v1/smoke-test", b"X-A"), (400,), True),
    Case("empty-field-name", get(b"/api/v1/smoke-test", b": 1"), (400,), True),
    Case("separator-in-field-name", get(b"/api/v1/smoke-test", b"X(A): 1"), (400,), True),
    Case("control-character-in-value", get(b"/api/v1/smoke-test", b"X-A: a\x01b"), (400,), True),
    Case("nul-in-value", get(b"/api/v1/smoke-test", b"X-A: a\x00b"), (400,), True),
    Case("obs-text-in-value-is-accepted", get(b"/api/v1/smoke-test", b"X-A: caf\xe9"), (200,)),
    # Size and count (RFC 6585 §5: 431).
    Case("one-20-kib-header", get(b"/api/v1/smoke-test", b"X-A: " + b"a" * 20_000), (431,), True),
    Case("a-1-mib-header", get(b"/api/v1/smoke-test", b"X-A: " + b"a" * 2**20), (431,), True),
    # An unfinished header over the limit in one write: 431 at once, not at the header timeout.
    Case(
        "unfinished-17-kb-header",
        get(b"/api/v1/smoke-test")[:-2] + b"X: " + b"a" * 17_000,
        (431,),
        True,
    ),
    Case(
        "unfinished-60-kb-header",
        get(b"/api/v1/smoke-test")[:-2] + b"X: " + b"a" * 60_000,
        (431,),
        True,
    ),
    Case("150-header-fields", get(b"/api/v1/smoke-test", *_headers(150, 1)), (431,), True),
    Case("many-small-headers-over-16-kib", get(b"/", *_headers(90, 200)), (431,), True),
    Case("99-headers-under-16-kib", get(b"/api/v1/smoke-test", *_headers(98, 100)), (200,)),
    # Host (RFC 9112 §3.2); the battery's server allows localhost, 127.0.0.1, *.petsage.test.
    Case("http-1.1-without-host", bare(b"GET /api/v1/smoke-test HTTP/1.1"), (400,), True),
    Case("two-host-headers", get(b"/api/v1/smoke-test", b"Host: localhost"), (400,), True),
    Case("host-with-a-path", OK.replace(b"localhost", b"localhost/x"), (400,), True),
    Case("host-with-a-non-numeric-port", OK.replace(b"localhost", b"localhost:http"), (400,), True),
    Case("host-not-allowed", OK.replace(b"localhost", b"evil.example"), (400,), closes=True),
    Case("allowed-host-any-case-with-port", OK.replace(b"localhost", b"LocalHost:80"), (200,)),
    Case("allowed-subdomain-wildcard", OK.replace(b"localhost", b"api.petsage.test"), (200,)),
    # An absolute-form target's authority is checked as Host is, and wins over it (§3.2.2).
    Case(
        "absolute-form-host-not-allowed",
        get(b"http://evil.example/api/v1/smoke-test"),
        (400,),
        True,
    ),
    Case(
        "absolute-form-userinfo",
        get(b"http://localhost@evil.example/api/v1/smoke-test"),
        (400,),
        True,
    ),
    Case(
        "absolute-form-allowed-with-port",
        get(b"http://api.petsage.test:8000/api/v1/smoke-test"),
        (200,),
    ),
    Case(
        "absolute-form-allowed-over-a-host-not-allowed",
        bare(b"GET http://localhost/api/v1/smoke-test HTTP/1.1", b"Host: evil.example"),
        (200,),
    ),
    # Body framing (RFC 9112 §6).
    Case(
        "content-length-and-chunked",
        get(b"/", b"Content-Length: 4", b"Transfer-Encoding: chunked") + b"0\r\n\r\n",
        (400,),
        closes=True,
    ),
    Case(
        "two-different-content-lengths",
        get(b"/", b"Content-Length: 1", b"Content-Length: 2") + b"ab",
        (400,),
        closes=True,
    ),
    Case("negative-content-length", get(b"/", b"Content-Length: -1"), (400,), closes=True),
    Case("non-numeric-content-length", get(b"/", b"Content-Length: 1x"), (400,), closes=True),
    Case("transfer-coding-not-chunked", get(b"/", b"Transfer-Encoding: gzip"), (400,), True),
    Case("chunked-not-last", get(b"/", b"Transfer-Encoding: chunked, gzip"), (400,), True),
    Case(
        "invalid-chunk-size",
        get(b"/", b"Transfer-Encoding: chunked") + b"zz\r\nabc\r\n0\r\n\r\n",
        (400,),
        closes=True,
    ),
    Case(
        "chunk-longer-than-its-size",
        get(b"/", b"Transfer-Encoding: chunked") + b"2\r\nabcdef\r\n0\r\n\r\n",
        (400,),
        closes=True,
    ),
    Case(  # no body and no form parameter: nothing is parsed (Connexion would say 400 here)
        "form-content-type-without-a-body-is-not-parsed",
        get(
            b"/api/v1/health/ready?exclude=memory&exclude=event-loop",
            b"Content-Type: multipart/form-data",
        ),
        (200,),
    ),
    Case(  # the operation declares no body: refused before anything waits for one
        "chunked-body-on-get-is-refused",
        get(b"/api/v1/smoke-test", b"Transfer-Encoding: chunked") + b"3\r\nabc\r\n0\r\n\r\n",
        (413,),
        closes=True,
    ),
    Case(
        "smuggled-request-behind-content-length-and-chunked",
        get(b"/", b"Content-Length: 60", b"Transfer-Encoding: chunked") + b"0\r\n\r\n" + OK,
        (400,),
        closes=True,
    ),
    Case(
        "chunked-on-http-1.0-closes",  # §6.1: framing is faulty, close after responding
        bare(b"POST /api/v1/smoke-test HTTP/1.0", b"Transfer-Encoding: chunked") + b"0\r\n\r\n",
        (405,),
        closes=True,
    ),
    # Pipelining (RFC 9112 §9.3.2): answered in order; an error after good requests comes last.
    Case("two-pipelined-requests", OK + OK, (200, 200)),
    Case("good-then-garbage", OK + b"GARBAGE\r\n\r\n", (200, 400), closes=True),
    Case("good-then-no-host", OK + bare(b"GET / HTTP/1.1"), (200, 400), closes=True),
    Case("good-then-huge-header", OK + get(b"/", b"X: " + b"a" * 20_000), (200, 431), True),
    Case(
        "good-then-bad-chunk",
        OK + get(b"/", b"Transfer-Encoding: chunked") + b"zz\r\n",
        (200, 400),
        closes=True,
    ),
    # Docs UI files (RFC 9110 §14): an unknown range unit is ignored, errors are problem+json.
    Case(
        "range-in-an-unknown-unit-is-ignored",
        get(b"/api/v1/ui/index.css", b"Range: items=0-1"),
        (200,),
    ),
    Case("range-in-bytes-is-served", get(b"/api/v1/ui/index.css", b"Range: bytes=0-9"), (206,)),
    Case("range-past-the-end", get(b"/api/v1/ui/index.css", b"Range: bytes=99999-"), (416,)),
    Case("malformed-bytes-range", get(b"/api/v1/ui/index.css", b"Range: bytes=x-y"), (400,)),
    Case("docs-template-is-not-served", get(b"/api/v1/ui/index.j2"), (404,)),
    # Protocol confusion.
    Case("tls-client-hello", bytes.fromhex("16030100c4010000c00303") + bytes(40), (400,), True),
    Case("http2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", (400,), closes=True),
    Case("binary-garbage", bytes(range(256)), (400,), closes=True),
    Case("nul-bytes", bytes(64), (400,), closes=True),
    Case(
        "h2c-upgrade-is-ignored",  # RFC 9110 §7.8: a server may ignore Upgrade
        get(b"/api/v1/smoke-test", b"Connection: Upgrade, HTTP2-Settings", b"Upgrade: h2c"),
        (200,),
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    allowed = {"PETSAGE_ALLOWED_HOSTS": "localhost,127.0.0.1,*.petsage.test"}
    with running_server("--log-level", "warning", env=allowed) as live:
        yield live


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_request_gets_the_rfc_status(server: LiveServer, case: Case) -> None:
    """The exact statuses, problem+json for errors, a close where due, and the server lives on."""
    result = exchange(
        server.port, case.request, responses=len(case.statuses), until_closed=case.closes
    )
    assert result.statuses == list(case.statuses), result.raw[:500]
    for response in result.responses:
        assert response.status < 500
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "server" not in response.headers
        if response.status >= 400:
            problem = response.problem()
            assert problem["status"] == response.status
            assert {"type", "title", "detail"} <= problem.keys()
    if case.closes:
        assert result.closed, "the server should have closed the connection"
    assert b"Traceback" not in result.raw
    assert smoke_test_status(server) == 200
    assert "Traceback" not in server.log()


def test_request_headers_never_reach_the_log() -> None:
    """Even at trace level, neither a served nor a rejected request's header values are logged."""
    secret = b"hunter2-5f0c9e"
    with running_server("--log-level", "trace") as live:
        served = exchange(live.port, get(b"/api/v1/smoke-test", b"X-Token: " + secret))
        rejected = exchange(
            live.port, get(b"/", b"X-Token: " + secret, b"Host: again"), until_closed=True
        )
        assert (served.statuses, rejected.statuses) == ([200], [400])
        assert "Rejected request" in live.log()
        assert secret.decode() not in live.log()


def test_configured_limits_hold_with_two_workers() -> None:
    """PETSAGE_MAX_* reach spawned workers: just over each limit is refused, under it served."""
    limits = {
        "PETSAGE_MAX_HEADER_COUNT": "10",
        "PETSAGE_MAX_HEADER_BYTES": "2048",
        "PETSAGE_MAX_URL_BYTES": "300",
    }
    cases = [
        (get(b"/api/v1/smoke-test", *_headers(9, 10)), 200),  # Host + 9 = 10 fields
        (get(b"/api/v1/smoke-test", *_headers(10, 10)), 431),
        (get(b"/api/v1/smoke-test", b"X-A: " + b"a" * 1900), 200),
        (get(b"/api/v1/smoke-test", b"X-A: " + b"a" * 2100), 431),
        (get(b"/api/v1/smoke-test?q=" + b"a" * 250), 200),
        (get(b"/api/v1/smoke-test?q=" + b"a" * 300), 414),
    ]
    with running_server("--workers", "2", "--log-level", "warning", env=limits) as live:
        # Several rounds, each on a new connection, which either worker may accept.
        for _ in range(5):
            for request, status in cases:
                assert exchange(live.port, request).statuses == [status]
