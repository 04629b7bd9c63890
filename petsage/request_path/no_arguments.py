"""When a request leaves Connexion's argument handling and parameter validation nothing to do.

A probe such as ``GET /health/ready`` names no query parameter, sends no body and carries no
credentials. For an operation whose only parameters are optional query parameters, Connexion
would parse the empty query string, validate nothing, and call the handler with no argument;
``operations`` and ``validation`` beside this module skip straight to that outcome.

Relies on (connexion ``~=3.3.0``): what its parameter decorator passes a handler (only names it
accepts, defaults filled in, ``user`` and the other context keys from
``scope["extensions"]["connexion_context"]``, form fields and files from the body), and
``connexion.utils.inspect_function_arguments``. In ``tests/api/test_lean_stack.py``, the ``/ready``
and ``/whoami`` requests of ``test_lean_app_answers_as_connexion_does``,
``test_a_form_file_reaches_a_handler_as_in_connexion`` and
``test_a_bare_probe_skips_argument_handling_and_validation`` fail when that changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.operations import AbstractOperation
from connexion.utils import inspect_function_arguments
from starlette.types import Scope


def _optional_without_default(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", parameter)
    # Connexion fills a missing query parameter from ``default``, or builds an object's default.
    return (
        parameter["in"] == "query"
        and not parameter.get("required")
        and "default" not in parameter
        and "default" not in schema
        and schema.get("type") != "object"
    )


def only_optional_query(operation: AbstractOperation) -> bool:
    """True when every parameter is an optional query parameter with no default, and there is no
    request body: a request without a query string then has no parameter at all."""
    return not operation.body_definition() and all(
        map(_optional_without_default, operation.parameters)
    )


def direct_call(
    handler: Callable[..., Any], operation: AbstractOperation
) -> Callable[[Scope], bool] | None:
    """Which requests Connexion's parameter decorator could only answer with ``handler()``, as a
    test of the request's scope; ``None`` when that depends on more than this module checks.

    A handler that accepts no argument is never passed one. One whose arguments are all named
    after the operation's optional query parameters gets none from a bare request (``_bare_for``),
    credentials or none: the security layer's ``user`` and ``token_info`` reach only a handler
    argument of that name.
    """
    arguments, has_kwargs = inspect_function_arguments(handler)
    if has_kwargs or not only_optional_query(operation):
        return None
    if not arguments:
        return _always
    names = {parameter["name"] for parameter in operation.parameters}
    return _bare_for(frozenset(arguments)) if set(arguments) <= names else None


def _always(_scope: Scope) -> bool:
    return True


def _bare_for(arguments: frozenset[str]) -> Callable[[Scope], bool]:
    """The test of a bare request for a handler taking ``arguments``: no query string, no content
    type (so no form fields or files), and nothing in Connexion's context (what the security layer
    leaves there; ``ContextMiddleware`` reads the same key) that the parameter decorator would
    pass it, that is nothing named as one of its arguments."""

    def bare(scope: Scope) -> bool:
        if scope["query_string"]:
            return False
        for name, _ in scope["headers"]:
            if name == b"content-type":
                return False
        context = scope.get("extensions", {}).get("connexion_context")
        return not context or arguments.isdisjoint(context)

    return bare
