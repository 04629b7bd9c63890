"""Answer a path with a trailing slash with 404 instead of Starlette's redirect.

Starlette redirects ``/api/v1/smoke-test/`` to an absolute URL built from the request's ``Host``
header, so ``Host: evil.example`` would send the client elsewhere. The contract declares 404.
"""

from __future__ import annotations

from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REDIRECTS = {301, 302, 303, 307, 308}


class NoSlashRedirectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path == "/" or not path.endswith("/"):
            await self.app(scope, receive, send)
            return

        async def send_unless_slash_redirect(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in _REDIRECTS:
                location = dict(message.get("headers", [])).get(b"location", b"").decode("latin-1")
                if URL(location).path == path.rstrip("/"):
                    # Raised before anything is sent: Connexion's handler answers problem+json.
                    raise HTTPException(404)
            await send(message)

        await self.app(scope, receive, send_unless_slash_redirect)
