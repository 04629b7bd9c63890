"""The ``Host`` header: its syntax (RFC 9112 §3.2, RFC 3986 §3.2.2) and an optional allow-list."""

from __future__ import annotations

import re
from collections.abc import Sequence

# uri-host [ ":" port ]: an IP literal in brackets, or a reg-name (which covers IPv4 addresses).
_HOST = re.compile(rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")


def host_name(value: bytes) -> str | None:
    """The lower-cased host of a ``Host`` field value without its port; None if it is not one."""
    match = _HOST.fullmatch(value)
    return match.group(1).decode("ascii").lower() if match else None


def is_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether ``host`` is in ``allowed`` (empty: any); ``*.example.com`` allows subdomains."""
    if not allowed:
        return True
    return any(
        host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
        for pattern in allowed
    )
