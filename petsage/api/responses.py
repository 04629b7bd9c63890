"""Turn a service result into the response a Connexion handler returns."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel
from starlette.responses import Response

from petsage.wire import JSON

# What a handler returns: a finished response, which Connexion passes on as it is (it would
# otherwise infer the media type, serialise the body and build this same response itself, about
# a sixth of the app's work for a smoke test). Response validation, where it is on, still checks
# the status, headers and body against the contract, as they are sent.
HandlerResult = Response

NO_STORE = {"Cache-Control": "no-store"}


def json_response(
    model: BaseModel,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
) -> HandlerResult:
    """``model`` as JSON, with ``status``, ``headers`` and ``media_type`` as ``Content-Type``."""
    return Response(model.model_dump_json(), status, dict(headers or {}), media_type)
