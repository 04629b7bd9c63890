"""Which operation of the contract Connexion's routing matched, read from the request's scope.

Relies on Connexion 3.3's ``RoutingOperation.__call__`` (``connexion.middleware.routing``): it
writes ``{"operation_id": ...}`` under ``scope["extensions"][ROUTING_CONTEXT]``
(``connexion.middleware.abstract.ROUTING_CONTEXT``, ``"connexion_routing"``) of the scope the
routing layer received, the ``operation_id`` being what the resolver's ``Resolution`` carries:
the contract's own ``operationId`` (``petsage.request_path.resolver``). The layers above the
routing pass it shallow copies of the scope, so a layer further out sees the entry when
``extensions`` already exists as it passes the scope on (``share_routing``).
``tests/api/test_lean_stack.py``
(``test_the_routed_operation_id_reaches_the_outermost_layer``) fails if that changes.
"""

from __future__ import annotations

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.types import Scope


def share_routing(scope: Scope) -> None:
    """Make the routing layer's entry visible in ``scope`` once the request has been routed."""
    scope.setdefault("extensions", {})


def operation_id(scope: Scope) -> str | None:
    """The contract's ``operationId`` of the routed operation; ``None`` when none matched."""
    routing = scope["extensions"].get(ROUTING_CONTEXT)
    resolved: str | None = routing.get("operation_id") if routing else None
    return resolved
