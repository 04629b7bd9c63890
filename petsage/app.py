"""The application factory: the contract in ``openapi/`` bound to the handlers in ``api``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions

from petsage.contract import API_DOCUMENT, ROOT_DOCUMENT, base_path, load_document, spec_dir
from petsage.health.config import HealthConfig, load_health_config
from petsage.health.lifecycle import Lifecycle
from petsage.health.runner import Registration
from petsage.health.service import HealthService
from petsage.middleware.access_log import AccessLogMiddleware
from petsage.middleware.contract import ContractDocumentsMiddleware
from petsage.middleware.docs_assets import DocsAssetsMiddleware
from petsage.middleware.draining import CloseWhileDrainingMiddleware
from petsage.middleware.hygiene import ResponseHygieneMiddleware
from petsage.middleware.slashes import NoSlashRedirectMiddleware
from petsage.request_path.jsonifier import PydanticJsonifier
from petsage.request_path.parameters import ConciseParameterValidator
from petsage.request_path.problems import add_problem_handlers
from petsage.request_path.resolver import ControllerResolver
from petsage.request_path.stack import MIDDLEWARES, LeanAsyncApp
from petsage.settings import Settings


def create_app(
    settings: Settings,
    *,
    validate_responses: bool = False,
    health_config: HealthConfig | None = None,
    lifecycle: Lifecycle | None = None,
    checks: Sequence[Registration] = (),
) -> AsyncApp:
    """Build the ASGI app. ``validate_responses`` checks every response against the contract
    (the tests turn it on; it costs half the throughput, so production leaves it off).

    ``health_config`` defaults to the file ``settings.config`` names; ``lifecycle`` is how the
    server tells readiness it is draining; ``checks`` adds readiness checks written in Python.
    """
    config = health_config or load_health_config(settings.config)
    lifecycle = lifecycle or Lifecycle()
    health = HealthService(config.health, lifecycle, checks)
    app = LeanAsyncApp(
        __name__,
        # Outermost, around Connexion's own error layers: it sees every response PetSage sends.
        middlewares=[partial(AccessLogMiddleware, log_probes=settings.log_probes), *MIDDLEWARES],
        specification_dir=spec_dir(),
        jsonifier=PydanticJsonifier(),
        validator_map={"parameter": ConciseParameterValidator},
        lifespan=health.lifespan,
    )
    add_problem_handlers(app)
    before_docs = MiddlewarePosition.BEFORE_SWAGGER
    app.add_middleware(NoSlashRedirectMiddleware, position=before_docs)
    # The contract as written; Connexion's docs layer serves only Swagger UI, which reads it.
    app.add_middleware(ContractDocumentsMiddleware, position=before_docs)
    # Connexion's default Swagger UI path.
    app.add_middleware(DocsAssetsMiddleware, position=before_docs, prefix=base_path() + "/ui/")
    # Outermost, so that it also covers the error responses Connexion's exception layer writes.
    app.add_middleware(ResponseHygieneMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        CloseWhileDrainingMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        lifecycle=lifecycle,
    )
    resolver = ControllerResolver()
    # Each document parsed once with the C loader (Connexion parses a file with PyYAML's
    # pure-Python one); neither has a $ref to another file, so a dict resolves like the file.
    # The root API goes first: added after /api/v1, its catch-all mount would shadow the API.
    app.add_api(
        load_document(ROOT_DOCUMENT),
        resolver=resolver,
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, swagger_ui=False),
    )
    app.add_api(
        load_document(API_DOCUMENT),
        resolver=resolver,
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(serve_spec=False),
    )
    return app
