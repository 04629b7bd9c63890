"""Which operation of the contract Connexion routed a request to, seen from outside its stack.

Connexion 3.3's ``RoutingMiddleware`` routes a shallow copy of the scope, and its
``RoutingOperation`` writes ``{"operation_id": ...}`` (``None`` when no operation matched) into
that copy's ``scope["extensions"][connexion.middleware.abstract.ROUTING_CONTEXT]``. A middleware
outside Connexion's stack gives the scope an ``extensions`` dict before calling in: the copy
shares it, so the operation is readable there once the request has been routed.
tests/api/test_metrics.py fails if an upgrade changes this.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.types import Scope

from petsage.api import HANDLERS

_RESOLVED_PREFIX = HANDLERS + "."


def share_extensions(scope: Scope) -> dict[str, Any]:
    """The ``extensions`` dict Connexion's routing will write into; call before routing."""
    extensions: dict[str, Any] = scope.setdefault("extensions", {})
    return extensions


def routed_operation(extensions: dict[str, Any]) -> str | None:
    """The contract's ``operationId`` of the operation the request was routed to (Connexion keeps
    it resolved, ``petsage.api.smoke.get_smoke_test``), or ``None`` when none matched."""
    routing = extensions.get(ROUTING_CONTEXT)
    resolved = routing.get("operation_id") if routing else None
    return resolved.removeprefix(_RESOLVED_PREFIX) if resolved else None
