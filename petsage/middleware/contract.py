"""The contract served as written: each document's ``openapi.json`` and ``openapi.yaml``.

Connexion serves the copy it resolved for itself, every ``$ref`` inlined; generated clients and
validating gateways need the document's own names and ``$ref``s (an inlined ``allOf`` becomes two
conflicting enums under one name). So each document is served by ``petsage.middleware.paths``,
under its servers' base path, before Connexion's docs layer (which is told not to serve one):
``openapi.yaml`` is the file byte for byte, ``openapi.json`` the same document as JSON.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from petsage.contract import API_DOCUMENT, ROOT_DOCUMENT, base_path, load_document, load_text
from petsage.wire import JSON

YAML = "application/yaml"  # RFC 9512


def served_documents() -> dict[str, tuple[bytes, str]]:
    """Path -> (body, media type) of every served document of the contract."""
    served: dict[str, tuple[bytes, str]] = {}
    for name in (API_DOCUMENT, ROOT_DOCUMENT):
        base = base_path(name)
        served[f"{base}/openapi.json"] = (json.dumps(load_document(name)).encode(), JSON)
        served[f"{base}/openapi.yaml"] = (load_text(name), YAML)
    return served


async def serve_document(
    document: tuple[bytes, str], scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer ``scope`` with ``document`` (body, media type): GET and HEAD only."""
    if scope["method"] not in ("GET", "HEAD"):
        raise HTTPException(405, headers={"Allow": "GET, HEAD"})
    body, media_type = document
    await Response(body, media_type=media_type)(scope, receive, send)
