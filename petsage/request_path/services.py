"""Services built once at startup and handed to handlers: a store, a client pool, a cache.

``create_app(settings, services=factory)`` takes a factory: called with no argument, it returns
an async context manager that yields a mapping of name -> service. The app's lifespan enters it at
startup (before the first request) and leaves it at shutdown (after the last), so the services are
closed there; a handler reads one with ``service(name, kind)``. Uses only Connexion's public
``connexion.context.scope`` and the ASGI lifespan state, which Starlette copies into every
request's ``scope["state"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from connexion.context import scope

# The key of the lifespan state under which the factory's mapping is kept.
SERVICES_STATE = "petsage.services"

ServicesFactory = Callable[[], AbstractAsyncContextManager[Mapping[str, object]]]

T = TypeVar("T")


def service(name: str, kind: type[T]) -> T:
    """The service the app's factory built under ``name``, for the request being handled.

    Raises ``LookupError`` when the factory built none of that name, ``TypeError`` when it is not
    a ``kind``: both mean the app was built with another factory than the handler expects."""
    built: Mapping[str, object] = scope["state"].get(SERVICES_STATE, {})
    if name not in built:
        raise LookupError(f"No service named {name!r}: create_app(services=...) built none")
    value = built[name]
    if not isinstance(value, kind):
        raise TypeError(f"The service {name!r} is a {type(value).__name__}, not a {kind.__name__}")
    return value
