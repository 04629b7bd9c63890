"""What a request's head must satisfy before the app sees it: pure functions of its bytes and
header fields, which ``petsage.protocol.limits`` applies as the parser reports them. Each
``*_problem`` returns the detail of the 400 to answer, or None."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from petsage.protocol.hosts import host_name, is_allowed

Headers = Iterable[tuple[bytes, bytes]]

# RFC 3986 §2.1: "%" is always followed by two hex digits; httptools lets anything through.
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_END_OF_AUTHORITY = re.compile(rb"[/?#]")
_SECTION_END = b"\r\n\r\n"


def header_section_bytes(data: bytes, so_far: int, *, began_in_read: bool) -> int:
    """The bytes of the header section read once ``data`` is: every byte of it, what the parser
    is still accumulating (a name or value no callback has shown yet) included.

    ``so_far``: the count before ``data``; ``began_in_read``: the section began in ``data``, after
    its last header terminator if it has one (what precedes it belongs to the requests before)."""
    if not began_in_read:
        return so_far + len(data)
    end = data.rfind(_SECTION_END)
    return len(data) - (end + len(_SECTION_END) if end >= 0 else 0)


def has_bad_percent(target: bytes) -> bool:
    """Whether the request-target has a ``%`` not followed by two hex digits."""
    return b"%" in target and _BAD_PERCENT.search(target) is not None


def target_authority(target: bytes) -> bytes | None:
    """The authority of an absolute-form request target; None for any other form."""
    if target.startswith(b"/") or target == b"*":
        return None
    _scheme, sep, rest = target.partition(b"://")
    return _END_OF_AUTHORITY.split(rest, maxsplit=1)[0] if sep else None


def host_problem(
    headers: Headers,
    target: bytes,
    http_version: str,
    allowed: Sequence[str],
    monitoring_paths: re.Pattern[bytes],
) -> str | None:
    """RFC 9112 §3.2's ``Host`` rules, then the allow-list (``petsage.protocol.hosts``)."""
    hosts = [value for name, value in headers if name == b"host"]
    if len(hosts) > 1:
        return "The request has more than one Host header."
    if not hosts:
        return "An HTTP/1.1 request needs a Host header." if http_version == "1.1" else None
    # RFC 9112 §3.2.2: an absolute-form target's authority wins over Host.
    authority = target_authority(target)
    host = host_name(hosts[0] if authority is None else authority)
    if host is None:
        return "The Host header is not a valid host."
    if not is_allowed(host, target, allowed, monitoring_paths):
        return "The Host header names a host this server does not serve."
    return None


def framing_problem(headers: Headers) -> str | None:
    """RFC 9112 §6.3: a ``Transfer-Encoding`` whose last coding is not chunked cannot be framed.
    (llhttp flags it only after the headers, when the app would already have the request.)"""
    codings = b",".join(value for name, value in headers if name == b"transfer-encoding")
    if codings and codings.rsplit(b",", 1)[-1].strip().lower() != b"chunked":
        return "The request's Transfer-Encoding does not end in chunked."
    return None


def declared_length(headers: Headers) -> int | None:
    """The body length ``Content-Length`` declares (the parser has checked its syntax); None
    without one."""
    for name, value in headers:
        if name == b"content-length":
            return int(value)
    return None
