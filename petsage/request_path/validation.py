"""Request validation with each operation's parameter validator built once at startup.

Connexion 3.3's ``RequestValidationOperation`` builds a URI parser and a parameter validator on
every request, then looks at the content type and the body even when the operation declares no
body. Parameters are validated exactly as before, by the validator in ``validator_map``; an
operation that declares a JSON request body has it read and validated by a validator built once
(``json_bodies``); one that declares another media type keeps Connexion's whole path; one that
declares none refuses a body before any layer could wait for it (``bodies``).

Relies on (connexion ``~=3.3.0``): ``RequestValidationOperation``'s constructor, its
``_validator_map`` (an underscore name), ``security_query_params`` and ``next_app``, and its
``__call__``, which this module reimplements for operations without a body or with a JSON one (a
check Connexion adds there later would be skipped:
``test_reimplemented_connexion_code_is_the_reviewed_version`` fails on any change to it);
``RequestValidationAPI.make_operation``, ``next_app``, ``strict_validation`` and
``validator_map``; ``RequestValidationMiddleware.api_cls``; a parameter validator built as
``validator_map["parameter"](parameters, uri_parser=, strict_validation=, security_query_params=)``
with ``validate(scope)``. In ``tests/api/test_lean_stack.py``, the comparisons with the stock
``AsyncApp`` and ``test_parameter_schemas_are_compiled_once_per_operation`` fail when that changes.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.operations import AbstractOperation
from starlette.types import ASGIApp, Receive, Scope, Send

from petsage.request_path.bodies import refuse_body
from petsage.request_path.json_bodies import PARSED_BODY, JsonBody, takes_json_only
from petsage.request_path.no_arguments import only_optional_query


class PrebuiltValidationOperation(RequestValidationOperation):  # type: ignore[misc]
    def __init__(
        self,
        next_app: ASGIApp,
        *,
        operation: AbstractOperation,
        strict_validation: bool = False,
        validator_map: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            next_app,
            operation=operation,
            strict_validation=strict_validation,
            validator_map=validator_map,
        )
        self._has_body = bool(operation.body_definition())
        self._json_body = JsonBody(operation) if takes_json_only(operation) else None
        # With no parameter declared and extra ones allowed, there is nothing to check.
        self._checks_parameters = bool(operation.parameters) or strict_validation
        # Nor is there with no query string when the only parameters are optional query ones:
        # Connexion would find each one missing, and not required (strict validation included).
        self._query_decides = only_optional_query(operation)
        self._parameter_validator = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=operation.uri_parser_class(
                operation.parameters, operation.body_definition()
            ),
            strict_validation=strict_validation,
            security_query_params=self.security_query_params,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._json_body is not None:
            if self._checks_parameters:
                self._parameter_validator.validate(scope)
            body, receive = await self._json_body.read(scope, receive)
            await self.next_app({**scope, PARSED_BODY: body}, receive, send)
            return
        if self._has_body:
            await super().__call__(scope, receive, send)
            return
        refuse_body(scope)
        if self._checks_parameters and (scope["query_string"] or not self._query_decides):
            self._parameter_validator.validate(scope)
        await self.next_app(scope, receive, send)


class PrebuiltValidationAPI(RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> PrebuiltValidationOperation:
        return PrebuiltValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class PrebuiltRequestValidationMiddleware(RequestValidationMiddleware):  # type: ignore[misc]
    """Connexion's request validation layer, with per-operation validators built once."""

    api_cls = PrebuiltValidationAPI
