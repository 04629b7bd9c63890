"""Connexion's docs layer (``openapi.json``, Swagger UI), entered only by a path it can serve, its
UI files sent from memory.

``DocsMiddleware`` takes the place of ``SwaggerUIMiddleware`` in the middleware list Connexion's
``AsyncApp(middlewares=...)`` takes (``petsage.request_path.stack``), as Connexion documents for
changing its stack, and holds a stock ``SwaggerUIMiddleware`` (``docs``), to which it passes each
API (``SpecMiddleware.add_api``) and the requests it serves.

Connexion 3.3 runs every request through the docs layer's Starlette router, mount by mount, before
the request reaches its own routing; for an API request that is a whole routing pass that always
ends in "not mine". A request whose path cannot be a docs path goes straight on instead.

The UI's files are sent from memory (``petsage.request_path.static_files``): Connexion mounts them
as a ``StaticFiles`` app in each API's docs routes; here a mount of the same directory, served by
``MemoryStaticFiles``, answers those paths first, all but the pages Connexion's own routes answer
(``CONNEXION_UI_PAGES``). ``MemoryStaticFiles.file_response`` is Starlette's with the response class
swapped (``is_not_modified``, ``NotModifiedResponse``).

Relies on (connexion ``~=3.3.0``, starlette ``~=1.10.0``): ``SwaggerUIMiddleware`` keeps a
Starlette ``Router`` in ``router``, filled by ``add_api`` with a mount per API of plain routes and
of a ``StaticFiles`` mount (``directory``) for the UI, whose pages are ``CONNEXION_UI_PAGES``, and
passes a request no route matches to its ``app``; Starlette's routes expose ``path``, its mounts
``routes``, ``matches`` and ``handle``, and its routing matches the path under ``root_path`` as
``route_path`` below does. In ``tests/api/test_lean_stack.py``,
``test_docs_prefixes_are_plain_paths_of_the_docs_routes``,
``test_api_requests_skip_the_docs_router``, ``test_connexions_ui_pages_are_the_ones_left_to_it``,
``test_route_path_is_starlettes``,
``test_docs_files_are_sent_from_memory`` and the comparisons with the stock ``AsyncApp`` (under a
root path too) fail when that changes.
"""

from __future__ import annotations

import os
from typing import Any

from connexion.middleware.abstract import SpecMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Router
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


# The paths under a UI mount that Connexion's own routes answer (the page, its configuration).
CONNEXION_UI_PAGES = frozenset({"", "index.html", "swagger-ui-config.json"})


def ui_files(router: Router) -> list[Mount]:
    """A mount of each API's UI files, sent from memory, where Connexion mounts them from disk."""
    return [
        Mount(_path(api) + mount.path, app=MemoryStaticFiles(directory=mount.app.directory))
        for api in router.routes
        for mount in getattr(api, "routes", [])
        if isinstance(mount, Mount) and type(mount.app) is StaticFiles
    ]


class DocsMiddleware(SpecMiddleware):  # type: ignore[misc]
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.docs = SwaggerUIMiddleware(app)
        self.prefixes: tuple[str, ...] = ()
        self.files: list[Mount] = []

    def add_api(self, specification: Any, **kwargs: Any) -> None:
        self.docs.add_api(specification, **kwargs)
        self.prefixes = docs_prefixes(self.docs.router)
        self.files = ui_files(self.docs.router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not route_path(scope).startswith(self.prefixes):
            # What Connexion's router does when nothing matches: the next layer, given a copy.
            await self.app(dict(scope), receive, send)
            return
        for mount in self.files:
            match, child = mount.matches(scope)
            page = route_path(scope)[len(mount.path) + 1 :]  # under the mount's path and a "/"
            if match is Match.FULL and page not in CONNEXION_UI_PAGES:
                await mount.handle({**scope, **child}, receive, send)
                return
        await self.docs(scope, receive, send)
