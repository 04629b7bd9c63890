"""Headers every response carries, or never carries, errors included (applied by ``edge``)."""

from __future__ import annotations

from collections.abc import Iterable

from petsage.wire import NOSNIFF

_DROPPED = frozenset({b"server", NOSNIFF[0]})
_CORS = b"access-control-"


def clean_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``X-Content-Type-Options: nosniff``, without ``Server`` (no software
    banner) nor ``Access-Control-*`` (no CORS: browsers on other origins get no access to the
    API), nor another ``X-Content-Type-Options``."""
    kept = [
        (name, value)
        for name, value in headers
        if (lowered := name.lower()) not in _DROPPED and not lowered.startswith(_CORS)
    ]
    kept.append(NOSNIFF)
    return kept
