"""Headers every response carries, or never carries, errors included."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from petsage.wire import NOSNIFF


def _unwanted(name: bytes) -> bool:
    # No software banner, and no CORS: browsers on other origins get no access to the API.
    lowered = name.lower()
    return lowered in (b"server", NOSNIFF[0]) or lowered.startswith(b"access-control-")


class ResponseHygieneMiddleware:
    """Adds ``X-Content-Type-Options: nosniff``; drops ``Server`` and ``Access-Control-*``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_clean(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", []) if not _unwanted(n)]
                message = {**message, "headers": [*headers, NOSNIFF]}
            await send(message)

        await self.app(scope, receive, send_clean)
