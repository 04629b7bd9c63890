"""The application factory: the contract in ``openapi/`` bound to the handlers in ``api``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from typing import Any

from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions

from petsage.api.exposure import EXPOSURE_STATE, Exposure, TokenFile
from petsage.api.metrics import METRICS_STATE
from petsage.contract import (
    API_DOCUMENT,
    MANAGEMENT_DOCUMENT,
    ROOT_DOCUMENT,
    base_path,
    document_base_path,
    load_document,
    monitoring_operation_ids,
    spec_dir,
)
from petsage.health.config import HealthConfig, load_health_config
from petsage.health.lifecycle import Lifecycle
from petsage.health.main_loop import MainLoop
from petsage.health.service import HealthService
from petsage.health.system import EventLoopMonitor
from petsage.health.typing import Registration
from petsage.metrics import HealthMetrics
from petsage.middleware.access_log import AccessLog
from petsage.middleware.contract import served_documents
from petsage.middleware.edge import EdgeMiddleware
from petsage.middleware.metrics import RequestMetrics
from petsage.middleware.paths import PathRulesMiddleware
from petsage.request_path.deprecation import DeprecationMiddleware, deprecated_operations
from petsage.request_path.jsonifier import PydanticJsonifier
from petsage.request_path.parameters import ConciseParameterValidator
from petsage.request_path.problems import add_problem_handlers
from petsage.request_path.resolver import ControllerResolver
from petsage.request_path.services import SERVICES_STATE, ServicesFactory
from petsage.request_path.stack import MIDDLEWARES, LeanAsyncApp
from petsage.settings import Settings


def product_contract() -> list[Mapping[str, Any]]:
    """The documents of ``openapi/`` the service serves, in the order they are added: the root
    first (added after ``/api/v1``, its catch-all mount would shadow the API)."""
    return [load_document(ROOT_DOCUMENT), load_document(API_DOCUMENT)]


def _no_services() -> contextlib.AbstractAsyncContextManager[Mapping[str, object]]:
    return contextlib.nullcontext({})


def _service_app(
    health: HealthService,
    documents: Sequence[Mapping[str, Any]],
    *,
    log_probes: bool,
    counted: bool,
    metrics_here: bool,
    exposure: Exposure,
    services: ServicesFactory = _no_services,
    served_as_written: Mapping[str, tuple[bytes, str]] | None = None,
    docs_prefix: str | None = None,
) -> LeanAsyncApp:
    """The Connexion app around ``health``, its error handlers and middlewares, no API yet (it
    will serve ``documents``); ``counted``: requests are counted; ``metrics_here``: ``/metrics``
    answers; ``exposure``: who gets the full health documents; ``services``: what handlers read
    with ``petsage.request_path.services.service``, built and closed by the lifespan;
    ``served_as_written`` and ``docs_prefix``: what ``PathRulesMiddleware`` serves besides the
    API."""

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[dict[str, object]]:
        async with health.lifespan(app) as state, services() as built:
            yield {
                **state,
                METRICS_STATE: metrics_here,
                EXPOSURE_STATE: exposure,
                SERVICES_STATE: built,
            }

    app = LeanAsyncApp(
        __name__,
        # Outermost, around Connexion's own error layers: it sees every response PetSage sends.
        middlewares=[
            partial(
                EdgeMiddleware,
                # Answered below 400, the operations monitoring calls every few seconds (those the
                # contract tags System Health) stay out of the log unless log_probes is set.
                access_log=AccessLog(frozenset() if log_probes else monitoring_operation_ids()),
                lifecycle=health.lifecycle,
                metrics=RequestMetrics() if counted else None,
            ),
            *MIDDLEWARES,
        ],
        specification_dir=spec_dir(),
        jsonifier=PydanticJsonifier(),
        validator_map={"parameter": ConciseParameterValidator},
        lifespan=lifespan,
    )
    add_problem_handlers(app, documents)
    deprecated = deprecated_operations(documents)  # a missing date stops the start here
    if deprecated:
        # Inside response validation, which checks them against the contract's headers.
        app.add_middleware(
            DeprecationMiddleware, position=MiddlewarePosition.BEFORE_CONTEXT, deprecated=deprecated
        )
    # Inside Connexion's exception layer, whose handler answers what it raises as problem+json.
    app.add_middleware(
        PathRulesMiddleware,
        position=MiddlewarePosition.BEFORE_SWAGGER,
        documents=served_as_written,
        docs_prefix=docs_prefix,
    )
    return app


def create_app(
    settings: Settings,
    *,
    validate_responses: bool = False,
    health_config: HealthConfig | None = None,
    lifecycle: Lifecycle | None = None,
    checks: Sequence[Registration] = (),
    monitor: EventLoopMonitor | None = None,
    main_loop: MainLoop | None = None,
    contract: Sequence[Mapping[str, Any]] | None = None,
    services: ServicesFactory | None = None,
) -> AsyncApp:
    """Build the ASGI app. ``validate_responses`` checks every response against the contract
    (the tests turn it on; it costs half the throughput, so production leaves it off).

    ``contract``: the OpenAPI documents served, each under its first server's URL, bound to
    handlers by ``x-openapi-router-controller`` and ``operationId``; by default the product's
    (``product_contract()``). ``services``: a factory of the services handlers use (see
    ``petsage.request_path.services``), entered at startup and left at shutdown.

    ``health_config`` defaults to the file ``settings.config`` names; ``lifecycle`` is how the
    server tells readiness it is draining; ``checks`` adds readiness checks written in Python;
    ``monitor`` is the event-loop ticker the app's lifespan runs (the management app reads it);
    ``main_loop`` is where this app's lifespan attaches the runner of ``checks`` (the management
    app asks it). ``/metrics`` answers here only with ``settings.public_metrics``; the health
    documents are whole only for a caller with the token of ``settings.health_token_file``.
    """
    config = health_config or load_health_config(settings.config)
    counted = settings.metrics and (settings.public_metrics or settings.management_port is not None)
    health = HealthService(
        config.health,
        lifecycle or Lifecycle(),
        checks,
        monitor=monitor,
        observer=HealthMetrics() if counted else None,
        main_loop=main_loop,
    )
    token_file = settings.health_token_file
    tokens = None if token_file is None else TokenFile(token_file)
    documents = product_contract() if contract is None else contract
    app = _service_app(
        health,
        documents,
        log_probes=settings.log_probes,
        counted=counted,
        metrics_here=settings.metrics and settings.public_metrics,
        exposure=Exposure(details=False, tokens=tokens),
        services=services or _no_services,
        # The contract as written; Connexion's docs layer serves only Swagger UI, which reads it.
        served_as_written=served_documents(),
        # Connexion's default Swagger UI path.
        docs_prefix=base_path() + "/ui/",
    )
    resolver = ControllerResolver()
    # The product's documents as written are served by PathRulesMiddleware, and its docs
    # UI under its API's base path; any other document's resolved copy by Connexion.
    written = {base_path(ROOT_DOCUMENT), base_path(API_DOCUMENT)}
    # Each document parsed once with the C loader (Connexion parses a file with PyYAML's
    # pure-Python one); none has a $ref to another file, so a dict resolves like the file.
    for document in documents:
        served_at = document_base_path(document)
        app.add_api(
            dict(document),
            resolver=resolver,
            validate_responses=validate_responses,
            swagger_ui_options=SwaggerUIOptions(
                serve_spec=served_at not in written, swagger_ui=served_at == base_path()
            ),
        )
    return app


def create_management_app(
    health_config: HealthConfig,
    lifecycle: Lifecycle,
    monitor: EventLoopMonitor,
    main_loop: MainLoop,
    *,
    checks: Sequence[Registration] = (),
    metrics: bool = True,
    log_probes: bool = False,
    validate_responses: bool = False,
) -> AsyncApp:
    """The management listener's app (``openapi/management.yaml``): the health probes and
    ``/metrics`` (unless ``metrics`` is off), on its own event loop, the health documents whole to
    any caller. Its health service shares the main app's lifecycle, reports the lag of
    ``monitor``, the main event loop's ticker, and asks ``main_loop`` for the results of
    ``checks``, which run there only."""
    health = HealthService(
        health_config.health,
        lifecycle,
        checks,
        monitor=monitor,
        main=False,
        observer=HealthMetrics() if metrics else None,
        main_loop=main_loop,
    )
    app = _service_app(
        health,
        [load_document(MANAGEMENT_DOCUMENT)],
        log_probes=log_probes,
        counted=metrics,
        metrics_here=metrics,
        exposure=Exposure(details=True),
    )
    # A path: its operations are $refs into petsage.yaml and root.yaml, resolved beside it.
    app.add_api(
        MANAGEMENT_DOCUMENT,
        resolver=ControllerResolver(),
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
    )
    return app
