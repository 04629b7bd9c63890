from __future__ import annotations

import pytest

from petsage.protocol.hosts import host_name, is_allowed


@pytest.mark.parametrize(
    ("value", "host"),
    [
        (b"api.example", "api.example"),
        (b"API.Example:8443", "api.example"),
        (b"127.0.0.1:80", "127.0.0.1"),
        (b"[::1]:8000", "[::1]"),
        (b"", ""),  # RFC 9112 §3.2: empty when the target URI has no authority
    ],
)
def test_host_name_drops_the_port_and_case(value: bytes, host: str) -> None:
    """A valid Host value gives its lower-cased host without the port."""
    assert host_name(value) == host


@pytest.mark.parametrize(
    "value", [b"a b", b"a/b", b"a:http", b"user@a", b"[::1", b"a:1:2", b"\xc3\xa9.example"]
)
def test_host_name_refuses_what_is_not_a_host(value: bytes) -> None:
    """Spaces, paths, userinfo, bad ports, broken IP literals and raw UTF-8 are not hosts."""
    assert host_name(value) is None


@pytest.mark.parametrize(
    ("host", "allowed", "expected"),
    [
        ("anything", (), True),
        ("api.example", ("api.example",), True),
        ("evil.example", ("api.example",), False),
        ("v1.api.example", ("*.api.example",), True),
        ("api.example", ("*.api.example",), False),
        ("evilapi.example", ("*.api.example",), False),
    ],
)
def test_allow_list_matches_names_and_subdomain_wildcards(
    host: str, allowed: tuple[str, ...], expected: bool
) -> None:
    """An empty list allows any host; ``*.x`` allows subdomains of x, not x itself."""
    assert is_allowed(host, allowed) is expected
