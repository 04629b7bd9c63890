"""Turn a service result into the ``(body, status, headers)`` a Connexion handler returns."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from petsage.wire import JSON

# What a Connexion handler returns: body (written by ``PydanticJsonifier``), status, headers.
HandlerResult = tuple[BaseModel, int, dict[str, str]]

NO_STORE = {"Cache-Control": "no-store"}


def json_response(
    model: BaseModel,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
) -> HandlerResult:
    """Return ``model`` with its media type named explicitly.

    The explicit ``Content-Type`` matters: an operation that also declares
    ``application/problem+json`` makes Connexion answer 500 to a body without one (connexion#1956).
    """
    return model, status, {"Content-Type": media_type, **(headers or {})}
