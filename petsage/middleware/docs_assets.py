"""The docs UI's files (Swagger UI under ``/api/v1/ui/``) held to the contract's rules.

Connexion serves them with Starlette's ``StaticFiles`` from a directory that also holds the page's
Jinja template. Here: a template is never served (404); a ``Range`` in a unit other than bytes is
ignored (RFC 9110 §14.2) rather than answered 400; and every error is problem+json, not text/plain.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")
_KEPT_ON_ERRORS = (b"allow", b"content-range")
# 404 and 405 get ``petsage.request_path.problems``' details; the errors only files have get these.
DETAILS = {
    400: "The Range header is not a valid bytes range.",
    416: "The requested range is not satisfiable; Content-Range gives the file's size.",
}


def _bytes_range_or_other(name: bytes, value: bytes) -> bool:
    return name != b"range" or value.lstrip().lower().startswith(b"bytes=")


async def serve_docs_file(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Pass ``scope``, a request under the docs UI's path, to ``app`` (Connexion's docs layer)
    held to the rules above."""
    if scope["path"].lower().endswith(_TEMPLATE_SUFFIXES):
        raise HTTPException(404)  # Connexion's handler answers problem+json
    headers = [(n, v) for n, v in scope["headers"] if _bytes_range_or_other(n, v)]
    scope = {**scope, "headers": headers}

    async def send_problem_on_error(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] >= 400:
            kept = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in message.get("headers", [])
                if name.lower() in _KEPT_ON_ERRORS
            }
            # Raised before anything is sent: Connexion's handler answers problem+json.
            status = message["status"]
            detail = DETAILS.get(status, HTTPStatus(status).phrase)
            raise HTTPException(status, detail=detail, headers=kept)
        await send(message)

    await app(scope, receive, send_problem_on_error)
