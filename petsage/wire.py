"""Facts of the wire that several layers write: media types, a header every response carries,
the reason phrases Python's ``http.HTTPStatus`` still names the old way, when a request has a
body, and how the HTTP layer tells the app's layers it answered a request itself. Imports nothing
but the standard library."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from http import HTTPStatus
from typing import Any

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# Added to every response, errors of the HTTP layer included.
NOSNIFF = (b"x-content-type-options", b"nosniff")

# RFC 9110's names where Python 3.11 still has the older ones.
_REASONS = {413: "Content Too Large", 422: "Unprocessable Content"}

# Under this key of an ASGI scope's ``extensions``: the status the HTTP layer (``petsage.protocol``)
# answered the request with itself while the app held it (its body too large or too late); what the
# app then sends is discarded.
_ANSWERED_BY_SERVER = "petsage.answered_by_server"


def reason(status: int) -> str:
    """The reason phrase of ``status`` as RFC 9110 names it (``413``: ``Content Too Large``)."""
    return _REASONS.get(status) or HTTPStatus(status).phrase


def carries_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """A ``Content-Length`` other than 0, or any ``Transfer-Encoding`` (RFC 9112 §6.3)."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip(b" \t0")):
            return True
    return False


def mark_answered_by_server(scope: MutableMapping[str, Any], status: int) -> None:
    """Record in ``scope`` (shared by every shallow copy the app's layers pass on) that the HTTP
    layer answered its request with ``status``."""
    scope.setdefault("extensions", {})[_ANSWERED_BY_SERVER] = status


def status_sent(scope: MutableMapping[str, Any], attempted: int) -> int:
    """The status the client got: the HTTP layer's own answer if it gave one, else ``attempted``
    (what the app sent)."""
    extensions = scope.get("extensions")
    sent: int = extensions.get(_ANSWERED_BY_SERVER, attempted) if extensions else attempted
    return sent
