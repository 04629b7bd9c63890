"""Answer a path with a trailing slash with 404 instead of Starlette's redirect.

Starlette redirects ``/api/v1/smoke-test/`` to an absolute URL built from the request's ``Host``
header, so ``Host: evil.example`` would send the client elsewhere. The contract declares 404.
"""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.types import Message, Send

_REDIRECTS = {301, 302, 303, 307, 308}


def may_redirect(path: str) -> bool:
    """Whether Starlette could redirect ``path`` to the path without its trailing slash."""
    return path != "/" and path.endswith("/")


def refusing_slash_redirects(path: str, send: Send) -> Send:
    """``send``, but a redirect of ``path`` to itself without the slash raises a 404."""

    async def send_unless_slash_redirect(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] in _REDIRECTS:
            location = dict(message.get("headers", [])).get(b"location", b"").decode("latin-1")
            if URL(location).path == path.rstrip("/"):
                # Raised before anything is sent: Connexion's handler answers problem+json.
                raise HTTPException(404)
        await send(message)

    return send_unless_slash_redirect
