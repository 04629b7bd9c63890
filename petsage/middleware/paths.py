"""The paths PetSage answers differently from Connexion, in one layer inside Connexion's
exception layer (whose handler turns an ``HTTPException`` raised here into problem+json) and
before its docs layer.

Where there were three layers, each passing every request on: the contract's documents
(``contract``), the docs UI's files (``docs_assets``) and the trailing-slash redirects refused
(``slashes``). The documents' paths and the docs prefix are known at startup: any other path
without a trailing slash, nearly every request, costs a dictionary lookup and two string tests.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from petsage.middleware.contract import serve_document
from petsage.middleware.docs_assets import serve_docs_file
from petsage.middleware.slashes import may_redirect, refusing_slash_redirects


class PathRulesMiddleware:
    """Serves ``documents`` (path -> body, media type); holds the files under ``docs_prefix``
    (if any) to the contract's rules; answers 404 where Starlette would redirect a path to itself
    without its slash."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        documents: Mapping[str, tuple[bytes, str]] | None = None,
        docs_prefix: str | None = None,
    ) -> None:
        self.app = app
        self.documents = dict(documents or {})
        self.docs_prefix = docs_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        document = self.documents.get(path)
        if document is not None:
            await serve_document(document, scope, receive, send)
            return
        if may_redirect(path):
            send = refusing_slash_redirects(path, send)
        if self.docs_prefix is not None and path.startswith(self.docs_prefix):
            await serve_docs_file(self.app, scope, receive, send)
            return
        await self.app(scope, receive, send)
