"""``Connection: close`` on every response while the server drains.

uvicorn ends a keep-alive connection after a response whose headers say ``Connection: close``,
so keep-alive clients reconnect, and find another replica, without any request being refused.
What the HTTP layer answers on its own (``petsage.protocol.limits``, uvicorn's 400, 500 and 503)
closes the connection already.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from petsage.health.lifecycle import Lifecycle

_CONNECTION_CLOSE = (b"connection", b"close")


class CloseWhileDrainingMiddleware:
    """Adds ``Connection: close`` to the responses of requests that arrive once ``lifecycle``
    says the server is draining."""

    def __init__(self, app: ASGIApp, *, lifecycle: Lifecycle) -> None:
        self.app = app
        self.lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.lifecycle.draining:
            await self.app(scope, receive, send)
            return

        async def send_close(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), _CONNECTION_CLOSE]}
            await send(message)

        await self.app(scope, receive, send_close)
