"""The app layer alone: CPU time and Python calls per request (the smoke test by default), with no
server.

Calls the ASGI app directly, in process, so what is measured is the framework's own work per
request, without uvicorn, the access log or the load generator; a figure that noise on a shared
machine moves much less than requests per second. Run by ``make bench-profile`` with each
contender's own interpreter; prints one JSON line per variant.

Variants of PetSage add the lean request path's steps one at a time, to measure each one's gain.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SMOKE_TEST = "/api/v1/smoke-test"
ROOT = Path(__file__).parents[1]


async def _request(app: Callable[..., Any], state: dict[str, Any], path: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state),  # as uvicorn does: each request sees the lifespan's state
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def _startup(app: Callable[..., Any]) -> dict[str, Any]:
    """Run the lifespan startup, which is when Connexion builds its middleware stack; return the
    state it set up."""
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        started.set()

    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    lifespan = asyncio.create_task(app(scope, queue.get, send))
    waiting = asyncio.create_task(started.wait())
    # An app with no lifespan support (raw ASGI) just returns.
    await asyncio.wait({lifespan, waiting}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    lifespan.cancel()
    waiting.cancel()
    return state


async def measure(app: Callable[..., Any], requests: int, path: str) -> dict[str, float]:
    state = await _startup(app)
    status = await _request(app, state, path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    for _ in range(1000):  # warm up
        await _request(app, state, path)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(requests):
            await _request(app, state, path)
        best = min(best, time.process_time() - started)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(1000):
        await _request(app, state, path)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {"cpu_us": best / requests * 1e6, "calls": calls / 1000}


def _petsage(variant: str) -> Callable[..., Any]:
    """PetSage as create_app builds it, with the lean path's steps up to ``variant``; its own
    outermost layer (the access log) in every variant."""
    from connexion import AsyncApp
    from connexion.middleware import ConnexionMiddleware
    from connexion.middleware.request_validation import RequestValidationMiddleware

    import petsage.app
    from petsage.request_path.stack import SWAPPED, LeanAsyncApp
    from petsage.settings import Settings

    defaults = ConnexionMiddleware.default_middlewares
    with_validation = [
        SWAPPED.get(m, m) if m is RequestValidationMiddleware else m for m in defaults
    ]

    def on(layers: list[Any] | None, app_class: type[Any] = LeanAsyncApp) -> Callable[..., Any]:
        def build(*args: Any, middlewares: list[Any], **options: Any) -> Any:
            kept = middlewares if layers is None else [middlewares[0], *layers]
            return app_class(*args, middlewares=kept, **options)

        return build

    factories: dict[str, Callable[..., Any]] = {
        "connexion": on(defaults, AsyncApp),
        "handler-chain": on(defaults),
        "validation": on(with_validation),
        "lean": LeanAsyncApp,
    }
    petsage.app.LeanAsyncApp = factories[variant]  # type: ignore[attr-defined,assignment]
    app: Callable[..., Any] = petsage.app.create_app(Settings())
    return app


def _peer(module: str) -> Callable[..., Any]:
    sys.path.insert(0, str(ROOT / "bench" / "peers"))
    return importlib.import_module(module).app  # type: ignore[no-any-return]


VARIANTS: dict[str, tuple[str, Callable[[], Callable[..., Any]]]] = {
    "connexion": ("PetSage on Connexion's defaults", lambda: _petsage("connexion")),
    "handler-chain": ("+ handler chain built once", lambda: _petsage("handler-chain")),
    "validation": ("+ request validators built once", lambda: _petsage("validation")),
    "lean": ("+ docs router skipped (PetSage as shipped)", lambda: _petsage("lean")),
    "fastapi": ("FastAPI peer", lambda: _peer("fastapi_peer")),
    "raw": ("raw ASGI", lambda: _peer("raw_asgi")),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", choices=VARIANTS)
    parser.add_argument("--requests", type=int, default=5000)
    # Only PetSage serves the other paths, e.g. /api/v1/health/ready (with cached results).
    parser.add_argument("--path", default=SMOKE_TEST, help="the path to GET, no query string")
    options = parser.parse_args()
    for name in options.variants:
        label, build = VARIANTS[name]
        figures = asyncio.run(measure(build(), options.requests, options.path))
        row = {"variant": name, "label": label, "path": options.path, **figures}
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
