"""The pure rules ``petsage.protocol.limits`` applies to a request's head, table by table."""

from __future__ import annotations

import pytest

from petsage.protocol.rules import (
    declared_length,
    framing_problem,
    header_section_bytes,
    target_authority,
)
from petsage.wire import carries_body


@pytest.mark.parametrize(
    ("data", "so_far", "began_in_read", "expected"),
    [
        (b"Host: a\r\n", 20, False, 29),  # the section goes on: every byte counts
        (b"GET / HTTP/1.1\r\n", 0, True, 16),  # it began here, nothing before it
        (b"x\r\n\r\nGET / HTTP/1.1\r\n", 500, True, 16),  # after the last request's end only
        (b"a\r\n\r\nb\r\n\r\nGET /", 500, True, 5),
    ],
)
def test_header_section_bytes(data: bytes, so_far: int, began_in_read: bool, expected: int) -> None:
    assert header_section_bytes(data, so_far, began_in_read=began_in_read) == expected


@pytest.mark.parametrize(
    ("target", "authority"),
    [
        (b"/path", None),
        (b"*", None),
        (b"http://example.test/x?y", b"example.test"),
        (b"http://example.test:8080", b"example.test:8080"),
        (b"https://[::1]:80#f", b"[::1]:80"),
        (b"example.test:443", None),  # authority-form (CONNECT): no scheme
    ],
)
def test_target_authority(target: bytes, authority: bytes | None) -> None:
    assert target_authority(target) == authority


@pytest.mark.parametrize(
    ("headers", "has_body"),
    [
        ([], False),
        ([(b"content-length", b"0")], False),
        ([(b"content-length", b"00")], False),
        ([(b"content-length", b"10")], True),
        ([(b"content-length", b"100")], True),
        ([(b"transfer-encoding", b"chunked")], True),
        ([(b"transfer-encoding", b"gzip, chunked"), (b"host", b"a")], True),
    ],
)
def test_carries_body(headers: list[tuple[bytes, bytes]], has_body: bool) -> None:
    """One rule for the HTTP layer's body deadline and the app's refusal of unwanted bodies."""
    assert carries_body(headers) is has_body


@pytest.mark.parametrize(
    ("codings", "refused"),
    [
        ([b"chunked"], False),
        ([b"gzip, chunked"], False),
        ([b"gzip"], True),
        ([b"chunked", b"gzip"], True),
    ],
)
def test_framing_problem(codings: list[bytes], refused: bool) -> None:
    headers = [(b"transfer-encoding", coding) for coding in codings]
    assert (framing_problem(headers) is not None) is refused


def test_declared_length() -> None:
    assert declared_length([(b"host", b"a"), (b"content-length", b"42")]) == 42
    assert declared_length([(b"host", b"a")]) is None
