"""Handlers named by the contract: an API-style ``operationId`` in the module its operation names.

The contract's ``operationId``s are what clients generated from it call (``getSmokeTest``); each
operation names the module of its handler with Connexion's ``x-openapi-router-controller``, and the
handler is the ``operationId`` in snake case (``petsage.api.smoke.get_smoke_test``), a ``HEAD``
operation's being its ``GET``'s (``headSmokeTest``: ``get_smoke_test``): Starlette's route for
``GET`` also takes ``HEAD``, so the ``GET`` handler answers it (uvicorn drops the body), and the
``HEAD`` operation, which Connexion still resolves at startup, needs no handler of its own. A
``Resolver``
subclass is Connexion's documented hook for a naming scheme of one's own. The resolution keeps the
contract's ``operationId`` as the operation's id, so the routing layer reports ``getSmokeTest``
(``petsage.request_path.operation_id``) to the access log and the metrics.
"""

from __future__ import annotations

import re

from connexion.exceptions import ResolverError
from connexion.operations import AbstractOperation
from connexion.resolver import Resolution, Resolver

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def handler_name(operation_id: str) -> str:
    """``getReadinessCheck`` -> ``get_readiness_check``; ``headReadinessCheck`` -> the same."""
    name = _WORD_START.sub("_", operation_id).lower()
    return "get_" + name.removeprefix("head_") if name.startswith("head_") else name


class ControllerResolver(Resolver):  # type: ignore[misc]
    """``x-openapi-router-controller`` + the snake-case ``operationId``."""

    def resolve_operation_id(self, operation: AbstractOperation) -> str:
        controller = operation.router_controller
        if controller is None:
            raise ResolverError(
                f"Operation {operation.operation_id!r} names no x-openapi-router-controller"
            )
        return f"{controller}.{handler_name(operation.operation_id)}"

    def resolve(self, operation: AbstractOperation) -> Resolution:
        resolution = super().resolve(operation)
        return Resolution(resolution.function, operation.operation_id)
