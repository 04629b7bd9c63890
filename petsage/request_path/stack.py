"""The Connexion app PetSage serves: Connexion's own middleware stack, with the layers that redo
per-operation work on every request swapped for subclasses that do it once at startup, and the
docs layer for one that holds Connexion's and lets only docs paths in
(``petsage.request_path.docs``).

Every layer keeps its place and its job: routing, request validation on every operation, error
handling, the docs. ``bench/README.md`` lists each change with its measured gain.

Relies on (connexion ``~=3.3.0``): ``ConnexionMiddleware.default_middlewares``, the list of layer
classes ``AsyncApp(middlewares=...)`` takes; ``AsyncApp._middleware_app``, the innermost app it
builds, and ``ConnexionMiddleware.app``, where the stack finds it; ``middleware_stack`` (``None``
until started) and ``middlewares`` (classes or partials), which ``add_middleware`` below reads as
Connexion's own does; ``MiddlewarePosition``'s values being the layer classes. In
``tests/api/test_lean_stack.py``, ``test_lean_stack_is_connexions_with_layers_in_place``,
``test_middleware_positions_find_swapped_layers``, ``test_no_middleware_after_start``,
``test_reimplemented_connexion_code_is_the_reviewed_version`` and every comparison with the stock
``AsyncApp`` fail when that changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from connexion import AsyncApp
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.types import ASGIApp

from petsage.request_path.docs import DocsMiddleware
from petsage.request_path.operations import PrebuiltASGIApp
from petsage.request_path.response_validation import OuterHeadersResponseValidationMiddleware
from petsage.request_path.validation import PrebuiltRequestValidationMiddleware

SWAPPED: dict[type[Any], type[Any]] = {
    SwaggerUIMiddleware: DocsMiddleware,
    RequestValidationMiddleware: PrebuiltRequestValidationMiddleware,
    ResponseValidationMiddleware: OuterHeadersResponseValidationMiddleware,
}
MIDDLEWARES = [SWAPPED.get(layer, layer) for layer in ConnexionMiddleware.default_middlewares]


class LeanAsyncApp(AsyncApp):  # type: ignore[misc]
    """``AsyncApp`` on the stack above, around handlers whose decorator chain is built once.

    Takes ``AsyncApp``'s options; ``middlewares`` defaults to ``MIDDLEWARES`` rather than to
    Connexion's own list.
    """

    def __init__(
        self, import_name: str, *, middlewares: list[Any] | None = None, **options: Any
    ) -> None:
        layers = MIDDLEWARES if middlewares is None else middlewares
        super().__init__(import_name, middlewares=list(layers), **options)
        # AsyncApp wraps a stock AsyncASGIApp; the innermost app is ours instead.
        self._middleware_app = PrebuiltASGIApp()
        self.middleware.app = self._middleware_app

    def add_middleware(
        self,
        middleware_class: Callable[..., ASGIApp],
        position: MiddlewarePosition = MiddlewarePosition.BEFORE_CONTEXT,
        **options: Any,
    ) -> None:
        """Connexion's ``add_middleware``, where ``position`` also finds a swapped layer (Connexion
        looks its class up by identity, and would not find the one in its place)."""
        if self.middleware.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        layers = self.middleware.middlewares
        target = SWAPPED.get(position.value, position.value)
        for index, layer in enumerate(layers):
            layer_class = getattr(layer, "func", layer)
            if isinstance(layer_class, type) and issubclass(layer_class, target):
                layers.insert(index, partial(middleware_class, **options))
                return
        raise ValueError(f"Could not insert middleware at position {position.name}.")
