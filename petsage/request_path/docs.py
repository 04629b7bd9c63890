"""Connexion's docs layer (``openapi.json``, Swagger UI), entered only by a path it can serve.

Connexion 3.3 runs every request through the docs layer's Starlette router, mount by mount, before
the request reaches its own routing; for an API request that is a whole routing pass that always
ends in "not mine". A request whose path cannot be a docs path now goes straight on.

The UI's files are sent from memory (``petsage.request_path.static_files``). Connexion mounts
them as a ``StaticFiles`` app in each API's docs routes, which is swapped for
``MemoryStaticFiles`` on the same directory; its ``file_response`` is Starlette's with the
response class swapped (``is_not_modified``, ``NotModifiedResponse``).

Relies on (connexion ``~=3.3.0``, starlette ``~=1.10.0``): ``SwaggerUIMiddleware`` keeps a
Starlette ``Router`` in ``self.router``, filled by ``add_api`` with mounts of plain routes, and
passes a request no route matches to ``self.app``; Starlette's routes expose ``path``, its mounts
``routes``, and its routing matches the path under ``root_path`` as ``route_path`` below does.
In ``tests/api/test_lean_stack.py``, ``test_docs_prefixes_are_plain_paths_of_the_docs_routes``,
``test_api_requests_skip_the_docs_router``, ``test_route_path_is_starlettes`` and the comparisons
with the stock ``AsyncApp`` (under a root path too) fail when that changes. The swap relies on
those mounts holding a plain ``StaticFiles`` (``directory``) as ``app``, and on the signature of
``StaticFiles.file_response``; ``test_docs_files_are_sent_from_memory`` fails when they change.
"""

from __future__ import annotations

import os
from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Router
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from petsage.request_path.static_files import MemoryFileResponse


def route_path(scope: Scope) -> str:
    """The path a router matches: ``path`` after the ``root_path`` the ASGI scope says it is
    mounted under (as Starlette's routing reads it)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def _path(route: BaseRoute) -> str:
    return getattr(route, "path", "")  # no plain path: "", which keeps every request on the router


def docs_prefixes(router: Router) -> tuple[str, ...]:
    """Every path the docs router answers starts with one of these: each mount's routes' paths,
    cut at their first parameter, without a trailing slash (so Starlette's slash redirects run)."""
    paths = []
    for route in router.routes:
        children = getattr(route, "routes", None)
        if children is None:
            paths.append(_path(route))
        else:  # a mount: its routes' paths (an API with nothing in the docs layer adds none)
            paths += [_path(route) + _path(child) for child in children]
    return tuple(path.split("{", 1)[0].rstrip("/") for path in paths)


class MemoryStaticFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        # StaticFiles.file_response, with the response class swapped.
        response = MemoryFileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


class DocsOnlySwaggerUIMiddleware(SwaggerUIMiddleware):  # type: ignore[misc]
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.prefixes: tuple[str, ...] = ()

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        self.prefixes = docs_prefixes(self.router)
        for api in self.router.routes:  # a mount per API, with the API's docs routes
            for mount in getattr(api, "routes", []):
                if isinstance(mount, Mount) and type(mount.app) is StaticFiles:
                    mount.app = MemoryStaticFiles(directory=mount.app.directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not route_path(scope).startswith(self.prefixes):
            # What Connexion's router does when nothing matches: the next layer, given a copy.
            await self.app(dict(scope), receive, send)
            return
        await super().__call__(scope, receive, send)
