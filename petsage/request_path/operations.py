"""Each handler's decorator chain, built once at startup instead of on every request.

Connexion 3.3's ``AsyncOperation.fn`` builds a ``StarletteDecorator`` on every request, and its
wrapper decorates the handler afresh, signature inspection included, on every request too. The
chain depends only on the handler and its operation, so it is built here once, from Connexion's
own decorators, and every request runs the same code as before.

Relies on (connexion ``~=3.3.0``): ``AsyncOperation``'s constructor and ``__call__`` (replaced
here: it calls ``fn`` per request), ``AsyncApi.make_operation`` and ``AsyncASGIApp.api_cls``;
``StarletteDecorator._response_decorator_cls`` and ``AsyncResponseDecorator._infer_content_type``
(underscore names, overridden); ``BaseDecorator.decorate``; an operation's ``uri_parser_class``,
``parameters``, ``body_definition()``, ``produces`` and ``function``; ``ConnexionRequest(scope,
receive, uri_parser=...)``. In ``tests/api/test_lean_stack.py``,
``test_lean_app_answers_as_connexion_does`` (every request, with and without response and strict
validation), ``test_handler_chain_is_not_rebuilt_per_request``,
``test_a_bare_probe_skips_argument_handling_and_validation`` and
``test_reimplemented_connexion_code_is_the_reviewed_version`` fail when that changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.decorators import StarletteDecorator
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest
from connexion.operations import AbstractOperation
from starlette.types import Receive, Scope, Send

from petsage.request_path.json_bodies import ParsedJsonRequest, takes_json_only
from petsage.request_path.no_arguments import direct_call


class ContractResponseDecorator(AsyncResponseDecorator):  # type: ignore[misc]
    """Connexion's response decorator, with the operation's media types read once.

    Connexion looks them up on every response through the request context, and parses the
    handler's headers with a function that builds ``typing`` generics on each call. A handler that
    names a media type its operation declares (as ``petsage.api.responses`` always does) is
    answered from the set kept here; a response with no body, and no media type named, gets none;
    any other case takes Connexion's own path, errors included.
    """

    def __init__(self, *, produces: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.produces = frozenset(produces)

    def _infer_content_type(self, data: Any, headers: Any) -> str | None:
        named = headers.get("Content-Type") if isinstance(headers, dict) else None
        if named in self.produces:
            return named  # type: ignore[no-any-return]
        if data is None and named is None:
            # No body (a 204): no media type. Connexion would name the operation's only one,
            # even when that is the problem type its error responses declare.
            return None
        return super()._infer_content_type(data, headers)  # type: ignore[no-any-return]


class _PrebuiltDecorator(StarletteDecorator):  # type: ignore[misc]
    """Connexion's decorator chain, built with the response decorator above."""

    def __init__(self, *, produces: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.produces = produces

    @property
    def _response_decorator_cls(self) -> Callable[..., ContractResponseDecorator]:
        return partial(ContractResponseDecorator, produces=self.produces)


class _BodilessRequest(ConnexionRequest):  # type: ignore[misc]
    """A request to an operation that declares no body, so no form field and no file: Connexion's
    parameter decorator asks for them on every request, and gets them without a read or a parse
    (``petsage.request_path.bodies`` has refused any body already)."""

    async def form(self) -> dict[str, Any]:
        return {}

    async def files(self) -> dict[str, Any]:
        return {}


def _request_class(operation: AbstractOperation) -> type[ConnexionRequest]:
    if takes_json_only(operation):
        return ParsedJsonRequest
    return ConnexionRequest if operation.body_definition() else _BodilessRequest


class PrebuiltOperation(AsyncOperation):  # type: ignore[misc]
    """An ``AsyncOperation`` whose decorator chain and URI parser are built once."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        jsonifier: Jsonifier,
        operation_id: str,
        pythonic_params: bool,
        operation: AbstractOperation,
    ) -> None:
        super().__init__(
            fn, jsonifier=jsonifier, operation_id=operation_id, pythonic_params=pythonic_params
        )
        self._uri_parser = operation.uri_parser_class(
            operation.parameters, operation.body_definition()
        )
        self._request_class = _request_class(operation)
        decorator = _PrebuiltDecorator(
            produces=operation.produces, pythonic_params=pythonic_params, jsonifier=jsonifier
        )
        self._handler: Callable[..., Awaitable[Any]] = decorator.decorate(fn)
        # For the requests ``direct_call`` picks, the parameter decorator would parse the request
        # and pass nothing: only the response decorator (status, headers, content type against
        # the contract, jsonifier) is left.
        self._direct_for = direct_call(fn, operation) if inspect.iscoroutinefunction(fn) else None
        self._direct_handler: Callable[[], Awaitable[Any]] = decorator._response_decorator_cls(
            framework=StarletteFramework, jsonifier=jsonifier
        )(fn)

    @classmethod
    def from_operation(
        cls, operation: AbstractOperation, *, pythonic_params: bool, jsonifier: Jsonifier
    ) -> PrebuiltOperation:
        return cls(
            operation.function,
            jsonifier=jsonifier,
            operation_id=operation.operation_id,
            pythonic_params=pythonic_params,
            operation=operation,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._direct_for is not None and self._direct_for(scope):
            response = await self._direct_handler()
        else:
            request = self._request_class(scope, receive, uri_parser=self._uri_parser)
            response = await self._handler(request)
        await response(scope, receive, send)


class PrebuiltApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> PrebuiltOperation:
        return PrebuiltOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class PrebuiltASGIApp(AsyncASGIApp):  # type: ignore[misc]
    """The innermost app of the stack: calls the operation the routing layer picked."""

    api_cls = PrebuiltApi
