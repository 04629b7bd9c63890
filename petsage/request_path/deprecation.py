"""A deprecated operation says so on the wire: ``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594)
and ``Link: <...>; rel="deprecation"``, on every response its handler returns.

The contract is the source: ``deprecated: true`` with ``x-deprecated-at`` (when it was deprecated,
a date or date-time; required, since RFC 9745's header is that date), ``x-sunset`` (when it stops
answering; optional) and ``externalDocs.url`` (where the deprecation is explained; optional). The
headers are built once per operation at startup; a deprecated operation without its date stops
the start with ``DeprecationDateError``. Uses Connexion's routing entry through
``petsage.request_path.operation_id``; the middleware runs inside response validation, which so
checks the headers against those the contract declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from petsage.contract import operations, path_items
from petsage.request_path.operation_id import operation_id

DEPRECATED_AT = "x-deprecated-at"
SUNSET = "x-sunset"

Headers = tuple[tuple[bytes, bytes], ...]


class DeprecationDateError(ValueError):
    """Raised at startup when an operation is ``deprecated`` without a valid ``x-deprecated-at``,
    or with an ``x-sunset`` that is not a date."""


def _moment(value: Any, what: str) -> datetime:
    # YAML reads an unquoted date as a date or datetime, a quoted one as a string.
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DeprecationDateError(f"{what}: {value!r} is not an RFC 3339 date") from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise DeprecationDateError(f"{what}: {value!r} is not a date")


def deprecation_headers(operation: Mapping[str, Any]) -> Headers:
    """The headers every response of ``operation`` carries: none unless it is deprecated."""
    if not operation.get("deprecated"):
        return ()
    name = operation.get("operationId", "an operation")
    if DEPRECATED_AT not in operation:
        raise DeprecationDateError(f"{name} is deprecated: give the date it was as {DEPRECATED_AT}")
    since = _moment(operation[DEPRECATED_AT], f"{name}'s {DEPRECATED_AT}")
    headers = [(b"deprecation", f"@{int(since.timestamp())}".encode())]
    if SUNSET in operation:
        sunset = _moment(operation[SUNSET], f"{name}'s {SUNSET}")
        headers.append((b"sunset", format_datetime(sunset.astimezone(UTC), usegmt=True).encode()))
    url = operation.get("externalDocs", {}).get("url")
    if url:
        headers.append((b"link", f'<{url}>; rel="deprecation"'.encode()))
    return tuple(headers)


def deprecated_operations(documents: Iterable[Mapping[str, Any]]) -> dict[str, Headers]:
    """``operationId`` -> its headers, for every deprecated operation of ``documents``."""
    found = {}
    for document in documents:
        for _, item in path_items(document):
            for _, operation in operations(item):
                headers = deprecation_headers(operation)
                if headers:
                    found[operation["operationId"]] = headers
    return found


class DeprecationMiddleware:
    """Adds a deprecated operation's headers to each response its handler returns."""

    def __init__(self, app: ASGIApp, deprecated: Mapping[str, Headers]) -> None:
        self.app = app
        self.deprecated = deprecated  # deprecated_operations(...) of the documents served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = (
            self.deprecated.get(operation_id(scope) or "") if scope["type"] == "http" else None
        )
        if not headers:
            await self.app(scope, receive, send)
            return

        async def send_deprecated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_deprecated)
