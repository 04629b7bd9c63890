"""Response validation (``validate_responses=True``, the tests' setting) that counts the header
the outermost middleware adds.

The contract declares ``X-Content-Type-Options`` ``required``, as it is on the wire; it is added by
``petsage.middleware.hygiene``, outside Connexion's response validation layer, which would find it
missing. Relies on Connexion 3.3's ``ResponseValidationOperation.validate_required_headers(headers,
response_definition)`` (a static method called once per response with the ASGI header list) and
``ResponseValidationAPI.make_operation``; the tests that run with ``validate_responses=True`` fail
with a 500 when an upgrade changes either.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.response_validation import (
    ResponseValidationAPI,
    ResponseValidationMiddleware,
    ResponseValidationOperation,
)
from connexion.operations import AbstractOperation

from petsage.wire import NOSNIFF


class _OuterHeadersValidationOperation(ResponseValidationOperation):  # type: ignore[misc]
    @staticmethod
    def validate_required_headers(
        headers: list[tuple[bytes, bytes]], response_definition: dict[str, Any]
    ) -> None:
        ResponseValidationOperation.validate_required_headers(
            [*headers, NOSNIFF], response_definition
        )


class _OuterHeadersValidationAPI(ResponseValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> Any:
        if not self.validate_responses:
            return super().make_operation(operation)
        return _OuterHeadersValidationOperation(
            self.next_app, operation=operation, validator_map=self.validator_map
        )


class OuterHeadersResponseValidationMiddleware(ResponseValidationMiddleware):  # type: ignore[misc]
    """Connexion's response validation, with the hygiene middleware's header counted as sent."""

    api_cls = _OuterHeadersValidationAPI
