"""The limit: a bare ASGI callable answering the smoke test's JSON, with no framework at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        return
    body = json.dumps(
        {
            "status": "ok",
            "message": "PetSage system is alive and purring!",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
        separators=(",", ":"),
    ).encode()
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
