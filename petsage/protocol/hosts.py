"""The ``Host`` header: its syntax (RFC 9112 §3.2, RFC 3986 §3.2.2) and the allow-list rules.

With an allow-list, a name off the list is refused everywhere. An IP literal is accepted on the
monitoring operations (smoke test, health, metrics) even when unlisted: the kubelet, load
balancers and Prometheus address a pod by its IP, these operations emit nothing derived from
``Host``, and a DNS-rebinding page can only make a browser send a name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from functools import lru_cache

# uri-host [ ":" port ]: an IP literal in brackets, or a reg-name (which covers IPv4 addresses).
_HOST = re.compile(rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")
# What an allow-list entry may be besides "*" and an IP literal: a DNS name, maybe "*." first.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_NAME_ENTRY = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*\.?")

ANY_HOST = "*"


@lru_cache(maxsize=256)  # a client sends the same value with each request
def host_name(value: bytes) -> str | None:
    """The lower-cased host of a ``Host`` field value without its port; None if it is not one."""
    match = _HOST.fullmatch(value)
    return match.group(1).decode("ascii").lower() if match else None


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` (as ``host_name`` gives it) is an IPv4 address or a bracketed IPv6 one."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return (address.version == 6) == (candidate is not host)


def allow_list_entry(entry: str) -> str:
    """``entry`` as the allow-list keeps it (lower case, IPv6 in brackets); raises ``ValueError``
    when it is neither ``*``, a name (``*.example.com`` for subdomains) nor an IP address."""
    entry = entry.strip().lower()
    if entry == ANY_HOST or is_ip_literal(entry) or _NAME_ENTRY.fullmatch(entry):
        return entry
    if is_ip_literal(f"[{entry}]"):
        return f"[{entry}]"
    raise ValueError(f"{entry!r} is not a host name, an IP address or '*'")


def _listed(host: str, allowed: Sequence[str]) -> bool:
    return any(
        host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        for pattern in allowed
    )


def is_allowed(
    host: str, target: bytes, allowed: Sequence[str], monitoring_paths: re.Pattern[bytes]
) -> bool:
    """Whether a request for ``target`` (its request-target) may name ``host``: always with an
    empty list or ``*``; a listed name or address; an IP literal on a path ``monitoring_paths``
    matches in full."""
    if not allowed or ANY_HOST in allowed or _listed(host, allowed):
        return True
    return is_ip_literal(host) and monitoring_paths.fullmatch(target.partition(b"?")[0]) is not None
