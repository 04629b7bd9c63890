"""Each handler's decorator chain, built once at startup instead of on every request.

Connexion 3.3's ``AsyncOperation.fn`` builds a ``StarletteDecorator`` on every request, and its
wrapper decorates the handler afresh, signature inspection included, on every request too. The
chain depends only on the handler and its operation, so it is built here once, from Connexion's
own decorators, and every request runs the same code as before.
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
from connexion.utils import inspect_function_arguments
from starlette.types import Receive, Scope, Send


class ContractResponseDecorator(AsyncResponseDecorator):  # type: ignore[misc]
    """Connexion's response decorator, with the operation's media types read once.

    Connexion looks them up on every response through the request context, and parses the
    handler's headers with a function that builds ``typing`` generics on each call. A handler that
    names a media type its operation declares (as ``petsage.api.responses`` always does) is
    answered from the set kept here; any other case takes Connexion's own path, errors included.
    """

    def __init__(self, *, produces: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.produces = frozenset(produces)

    def _infer_content_type(self, data: Any, headers: Any) -> str | None:
        named = headers.get("Content-Type") if isinstance(headers, dict) else None
        if named in self.produces:
            return named  # type: ignore[no-any-return]
        return super()._infer_content_type(data, headers)  # type: ignore[no-any-return]


class _PrebuiltDecorator(StarletteDecorator):  # type: ignore[misc]
    """Connexion's decorator chain, built with the response decorator above."""

    def __init__(self, *, produces: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.produces = produces

    @property
    def _response_decorator_cls(self) -> Callable[..., ContractResponseDecorator]:
        return partial(ContractResponseDecorator, produces=self.produces)


def takes_no_input(handler: Callable[..., Any], operation: AbstractOperation) -> bool:
    """True when Connexion's parameter decorator could only ever call ``handler()``: it declares
    no parameter and no body, and the handler accepts no argument at all."""
    arguments, has_kwargs = inspect_function_arguments(handler)
    return (
        not arguments
        and not has_kwargs
        and not operation.parameters
        and not operation.body_definition()
    )


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
        self._reads_request = not (
            inspect.iscoroutinefunction(fn) and takes_no_input(fn, operation)
        )
        decorator = _PrebuiltDecorator(
            produces=operation.produces, pythonic_params=pythonic_params, jsonifier=jsonifier
        )
        self._handler: Callable[..., Awaitable[Any]]
        if self._reads_request:
            self._handler = decorator.decorate(fn)
        else:
            # The parameter decorator would parse nothing and pass nothing: only the response
            # decorator (status, headers, content type against the contract, jsonifier) is left.
            self._handler = decorator._response_decorator_cls(
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
        if self._reads_request:
            request = ConnexionRequest(scope, receive, uri_parser=self._uri_parser)
            response = await self._handler(request)
        else:
            response = await self._handler()
        await response(scope, receive, send)


class PrebuiltApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> PrebuiltOperation:
        return PrebuiltOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class PrebuiltASGIApp(AsyncASGIApp):  # type: ignore[misc]
    """The innermost app of the stack: calls the operation the routing layer picked."""

    api_cls = PrebuiltApi
