"""Facts of the wire that several layers write: media types, a header every response carries,
and the reason phrases Python's ``http.HTTPStatus`` still names the old way. Imports nothing."""

from __future__ import annotations

from http import HTTPStatus

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# Added to every response, errors of the HTTP layer included.
NOSNIFF = (b"x-content-type-options", b"nosniff")

# RFC 9110's names where Python 3.11 still has the older ones.
_REASONS = {413: "Content Too Large", 422: "Unprocessable Content"}


def reason(status: int) -> str:
    """The reason phrase of ``status`` as RFC 9110 names it (``413``: ``Content Too Large``)."""
    return _REASONS.get(status) or HTTPStatus(status).phrase
