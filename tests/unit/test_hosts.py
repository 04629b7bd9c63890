from __future__ import annotations

import pytest

from petsage.contract import monitoring_paths
from petsage.protocol.hosts import allow_list_entry, host_name, is_allowed, is_ip_literal


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
        ("anything", ("*",), True),
        ("10.0.0.5", ("10.0.0.5",), True),
    ],
)
def test_allow_list_matches_names_and_subdomain_wildcards(
    host: str, allowed: tuple[str, ...], expected: bool
) -> None:
    """An empty list or ``*`` allows any host; ``*.x`` allows subdomains of x, not x itself."""
    assert is_allowed(host, b"/", allowed, monitoring_paths()) is expected


MONITORING = [
    b"/api/v1/smoke-test",
    b"/api/v1/smoke_test",
    b"/api/v1/health/live",
    b"/api/v1/health/ready?exclude=memory",
    b"/api/v1/health/ready/pet-db",
    b"/metrics",
]
OTHER = [b"/", b"/api/v1/ui/", b"/api/v1/openapi.json", b"/api/v1/health/ready/a/b", b"/x"]
IP_LITERALS = ["10.1.2.3", "35.191.0.1", "[fd00::1]", "[::ffff:10.0.0.5]"]


@pytest.mark.parametrize("target", MONITORING)
@pytest.mark.parametrize("host", IP_LITERALS)
def test_ip_literals_reach_the_monitoring_operations(host: str, target: bytes) -> None:
    """Under an allow-list an unlisted IP literal may ask for the smoke test, health, metrics."""
    assert is_allowed(host, target, ("api.example",), monitoring_paths())


@pytest.mark.parametrize("target", OTHER)
@pytest.mark.parametrize("host", IP_LITERALS)
def test_ip_literals_stay_out_of_other_paths(host: str, target: bytes) -> None:
    """Under an allow-list an unlisted IP literal is refused on every other path."""
    assert not is_allowed(host, target, ("api.example",), monitoring_paths())


@pytest.mark.parametrize("target", MONITORING + OTHER)
def test_names_off_the_list_are_refused_everywhere(target: bytes) -> None:
    """A name a DNS-rebinding page could send is refused on the monitoring paths too."""
    assert not is_allowed("rebind.attacker.example", target, ("api.example",), monitoring_paths())


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("10.1.2.3", True),
        ("[fd00::1]", True),
        ("fd00::1", False),  # IPv6 in Host is always bracketed
        ("[10.1.2.3]", False),
        ("10.1.2", False),
        ("999.1.2.3", False),
        ("api.example", False),
    ],
)
def test_ip_literal_is_ipv4_or_bracketed_ipv6(host: str, expected: bool) -> None:
    """Only a dotted IPv4 address or an IPv6 address in brackets is an IP literal."""
    assert is_ip_literal(host) is expected


@pytest.mark.parametrize(
    ("entry", "kept"),
    [
        ("API.Example", "api.example"),
        ("*.petsage.test", "*.petsage.test"),
        ("*", "*"),
        ("10.0.0.5", "10.0.0.5"),
        ("fd00::1", "[fd00::1]"),
        ("[FD00::1]", "[fd00::1]"),
        ("localhost", "localhost"),
    ],
)
def test_allow_list_entries_are_normalised(entry: str, kept: str) -> None:
    """Entries are lower-cased and an IPv6 address is kept in brackets, as Host carries it."""
    assert allow_list_entry(entry) == kept


@pytest.mark.parametrize("entry", ["[1", "2]", "garbage!!", "a:80", "*.", "a..b", "http://a", "a*"])
def test_invalid_allow_list_entries_raise(entry: str) -> None:
    """Anything that is not a name, an address or ``*`` is refused."""
    with pytest.raises(ValueError, match="is not a host name"):
        allow_list_entry(entry)
