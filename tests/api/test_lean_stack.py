"""The lean stack answers exactly as Connexion's stock ``AsyncApp`` does, and does once per
operation what Connexion redoes on every request. These tests fail if Connexion changes under it."""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators import parameter as connexion_parameters
from connexion.decorators.main import BaseDecorator
from connexion.decorators.response import BaseResponseDecorator
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.validators import ParameterValidator
from connexion.validators.abstract import AbstractRequestBodyValidator
from connexion.validators.json import JSONRequestBodyValidator
from jsonschema import Draft4Validator
from starlette._utils import get_route_path as starlette_route_path
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from petsage.app import create_app
from petsage.request_path import parameters
from petsage.request_path.docs import (
    CONNEXION_UI_PAGES,
    DocsMiddleware,
    MemoryStaticFiles,
    docs_prefixes,
    route_path,
)
from petsage.request_path.jsonifier import PydanticJsonifier
from petsage.request_path.operation_id import operation_id, share_routing
from petsage.request_path.parameters import ConciseParameterValidator
from petsage.request_path.stack import MIDDLEWARES, SWAPPED, LeanAsyncApp
from petsage.request_path.static_files import MemoryFileResponse
from petsage.settings import Settings

JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}


def _operation(handler: str, status: str = "200", **fields: Any) -> dict[str, Any]:
    content = fields.pop("content", JSON_OBJECT)
    return {
        "operationId": f"{__name__}.{handler}",
        "responses": {status: {"description": "answer", "content": content}},
        **fields,
    }


EXCLUDE = {
    "name": "exclude",
    "in": "query",
    "style": "form",
    "explode": True,
    "schema": {"type": "array", "maxItems": 2, "items": {"type": "string", "pattern": "^[a-z]+$"}},
}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/plain": {"get": _operation("plain")},
        "/pets/{pet_id}": {
            "get": _operation(
                "get_pet",
                parameters=[
                    {
                        "name": "pet_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
                    },
                    {"name": "X-Tag", "in": "header", "schema": {"type": "string", "maxLength": 4}},
                ],
            )
        },
        "/pets": {
            "post": _operation(
                "add_pet",
                "201",
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": {"type": "string"}},
                            }
                        }
                    },
                },
            )
        },
        "/sync": {
            "get": _operation("sync_text", content={"text/plain": {"schema": {"type": "string"}}})
        },
        "/undeclared": {"get": _operation("undeclared_media_type")},
        # As /health/ready: only an optional, repeatable query parameter, so a bare probe skips
        # the parameter decorator and the validator (petsage.request_path.no_arguments).
        "/ready": {"get": _operation("ready", parameters=[EXCLUDE])},
        # The same with optional credentials, as the health operations take the health token:
        # the security layer's context (``user``, ``token_info``) names no argument of ``ready``.
        "/ready-secured": {
            "get": _operation("ready", parameters=[EXCLUDE], security=[{"key": []}, {}])
        },
        # The same, with credentials: the security layer puts ``user`` in Connexion's context,
        # which the parameter decorator passes to a handler argument of that name.
        "/whoami": {
            "get": _operation(
                "whoami",
                parameters=[{"name": "user", "in": "query", "schema": {"type": "string"}}],
                security=[{"key": []}],
            )
        },
    },
    "components": {
        "securitySchemes": {
            "key": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Key",
                "x-apikeyInfoFunc": f"{__name__}.key_info",
            }
        }
    },
}


async def plain() -> tuple[dict[str, bool], int, dict[str, str]]:
    return {"ok": True}, 200, {"Content-Type": "application/json", "X-Extra": "1"}


async def get_pet(pet_id: int, limit: int) -> dict[str, int]:
    return {"id": pet_id, "limit": limit}


async def add_pet(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    return body, 201


def sync_text() -> str:
    return "hi"


async def undeclared_media_type() -> tuple[str, int, dict[str, str]]:
    return "<p>x</p>", 200, {"Content-Type": "text/html"}


async def ready(exclude: Any = None) -> dict[str, str]:
    return {"exclude": repr(exclude)}  # a form's file arrives as an UploadFile


async def whoami(user: Any = None) -> dict[str, Any]:
    return {"user": user}


def key_info(key: str, required_scopes: Any) -> dict[str, str] | None:
    return {"sub": "alice"} if key == "k" else None


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/plain", {}),
    ("GET", "/plain?extra=1", {}),
    ("HEAD", "/plain", {}),
    ("POST", "/plain", {}),
    ("GET", "/plain/", {}),
    ("GET", "/plain", {"headers": {"Content-Type": "multipart/form-data; boundary=x"}}),
    ("GET", "/pets/3", {}),
    ("GET", "/pets/3?limit=7", {}),
    ("GET", "/pets/3?limit=7&extra=1", {}),
    ("GET", "/pets/3?limit=11", {}),
    ("GET", "/pets/3?limit=abc", {}),
    ("GET", "/pets/abc", {}),
    ("GET", "/pets/3", {"headers": {"X-Tag": "toolong"}}),
    ("POST", "/pets", {"json": {"name": "Rex"}}),
    ("GET", "/sync", {}),
    ("GET", "/undeclared", {}),
    ("GET", "/ready", {}),
    ("GET", "/ready?exclude=a", {}),
    ("GET", "/ready?exclude=a&exclude=b", {}),
    ("GET", "/ready?exclude=a&exclude=b&exclude=c", {}),
    ("GET", "/ready?exclude=A1", {}),
    ("GET", "/ready?exclude=", {}),
    ("GET", "/ready?other=1", {}),
    ("HEAD", "/ready", {}),
    ("GET", "/ready-secured", {}),
    ("GET", "/ready-secured", {"headers": {"X-Key": "k"}}),
    ("GET", "/ready-secured", {"headers": {"X-Key": "wrong"}}),
    ("GET", "/ready-secured?exclude=a", {"headers": {"X-Key": "k"}}),
    ("GET", "/whoami", {"headers": {"X-Key": "k"}}),
    ("GET", "/whoami", {}),
    ("GET", "/nope", {}),
    ("GET", "/openapi.json", {}),
    ("GET", "/openapi.json/", {}),
    ("GET", "/openapi.yaml", {}),
    ("POST", "/openapi.json", {}),
    ("GET", "/ui", {}),
    ("GET", "/ui/", {}),
    ("GET", "/ui/index.html", {}),
    ("GET", "/ui/swagger-ui.css", {}),
]


def _client(app_cls: type[AsyncApp], *, root_path: str = "", **options: Any) -> TestClient:
    app = app_cls(
        __name__,
        jsonifier=PydanticJsonifier(),
        validator_map={"parameter": ConciseParameterValidator},
    )
    app.add_api(copy.deepcopy(SPEC), **options)
    client: TestClient = app.test_client(
        raise_server_exceptions=False, follow_redirects=False, root_path=root_path
    )
    return client


@functools.cache
def _shared_client(app_cls: type[AsyncApp], **options: Any) -> TestClient:
    """One client per app class and options for the comparisons, which only send requests."""
    return _client(app_cls, **options)


@pytest.mark.parametrize(
    "api_options", [{}, {"validate_responses": True}, {"strict_validation": True}], ids=str
)
@pytest.mark.parametrize(("method", "path", "options"), REQUESTS)
def test_lean_app_answers_as_connexion_does(
    api_options: dict[str, Any], method: str, path: str, options: dict[str, Any]
) -> None:
    """Status, headers and body are those of Connexion's stock AsyncApp, errors included."""
    stock = _shared_client(AsyncApp, **api_options)
    lean = _shared_client(LeanAsyncApp, **api_options)
    expected, answered = (
        stock.request(method, path, **options),
        lean.request(method, path, **options),
    )
    assert (answered.status_code, answered.headers, answered.content) == (
        expected.status_code,
        expected.headers,
        expected.content,
    )


# Refused by both, the lean app's problem saying why in its own words (tests/api/test_bodies.py).
REFUSED_BODIES: list[dict[str, Any]] = [
    {"json": {}},
    {"content": b"name=Rex", "headers": {"Content-Type": "text/plain"}},
    {"content": b"{", "headers": {"Content-Type": "application/json"}},
]


@pytest.mark.parametrize("options", REFUSED_BODIES)
def test_a_bad_json_body_is_refused_as_connexion_does(options: dict[str, Any]) -> None:
    """Status and media type are those of Connexion's stock AsyncApp."""
    stock = _shared_client(AsyncApp).post("/pets", **options)
    lean = _shared_client(LeanAsyncApp).post("/pets", **options)
    assert lean.status_code == stock.status_code
    assert lean.headers["content-type"] == stock.headers["content-type"]


BODIES: list[dict[str, Any]] = [
    {"data": {"exclude": "a"}},
    {"files": {"exclude": ("a.txt", b"a")}},
    {"content": b"x", "headers": {"Content-Type": "text/plain"}},
]


@pytest.mark.parametrize("path", ["/ready", "/ready?exclude=a", "/plain", "/pets/3"])
@pytest.mark.parametrize("options", BODIES, ids=["form", "file", "text"])
def test_a_body_on_an_operation_that_declares_none_is_refused(
    path: str, options: dict[str, Any]
) -> None:
    """Where Connexion parses a form even on a GET (and hands its fields to the handler), the lean
    app answers 413 problem+json and closes the connection, reading nothing."""
    answered = _client(LeanAsyncApp).request("GET", path, **options)
    assert answered.status_code == 413
    assert answered.headers["content-type"] == "application/problem+json"
    assert answered.headers["connection"] == "close"
    assert answered.json()["title"] == "Content Too Large"


@pytest.mark.parametrize(
    "path",
    ["/openapi.json", "/ui/", "/plain", "/prefix/openapi.json", "/prefix", "/prefixopenapi.json"],
)
def test_lean_app_answers_as_connexion_does_under_a_root_path(path: str) -> None:
    """Behind a path prefix (uvicorn --root-path) too, the docs layer finds what Connexion finds."""
    stock, lean = _client(AsyncApp, root_path="/prefix"), _client(LeanAsyncApp, root_path="/prefix")
    expected, answered = stock.get(path), lean.get(path)
    assert (answered.status_code, answered.content) == (expected.status_code, expected.content)


def _count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    calls: list[int] = []
    original = owner.__dict__[name]
    if isinstance(original, property):

        def getter(self: Any) -> Any:
            calls.append(1)
            return original.fget(self)  # type: ignore[misc]

        monkeypatch.setattr(owner, name, property(getter))
    else:

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.fixture
def warm_lean_client() -> Iterator[TestClient]:
    """A lean app that has answered once, so its stack and operations are built."""
    client = _client(LeanAsyncApp)
    with client:
        assert client.get("/pets/1").status_code == 200
        yield client


def test_handler_chain_is_not_rebuilt_per_request(
    warm_lean_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connexion's AsyncOperation.fn, which rebuilds the decorators, is never used per request."""
    rebuilt = _count_calls(monkeypatch, AsyncOperation, "fn")
    decorated = _count_calls(monkeypatch, BaseDecorator, "decorate")
    for path in ("/plain", "/pets/2?limit=3", "/sync"):
        assert warm_lean_client.get(path).status_code == 200
    assert (rebuilt, decorated) == ([], [])


def test_a_bare_probe_skips_argument_handling_and_validation(
    warm_lean_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no query string, the only-query-parameters operation calls its handler directly; with
    one, Connexion's parameter decorator and the validator run as before."""
    validated = _count_calls(monkeypatch, ParameterValidator, "validate")
    prepared = _count_calls(monkeypatch, connexion_parameters, "prep_kwargs")
    assert warm_lean_client.get("/ready").status_code == 200
    assert (validated, prepared) == ([], [])
    assert warm_lean_client.get("/ready?exclude=a").status_code == 200
    assert (validated, prepared) == ([1], [1])
    for headers in ({}, {"X-Key": "k"}):  # credentials or none, as the health operations take
        assert warm_lean_client.get("/ready-secured", headers=headers).status_code == 200
    assert (validated, prepared) == ([1], [1])


def test_parameter_schemas_are_compiled_once_per_operation(
    warm_lean_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No parameter validator and no jsonschema validator is built while answering."""
    built = _count_calls(monkeypatch, ConciseParameterValidator, "__init__")
    compiled: list[int] = []
    real_validator = Draft4Validator

    def counting_validator(*args: Any, **kwargs: Any) -> Any:
        compiled.append(1)
        return real_validator(*args, **kwargs)

    monkeypatch.setattr(parameters, "Draft4Validator", counting_validator)
    for query in ("limit=2", "limit=11", ""):
        warm_lean_client.get(f"/pets/2?{query}", headers={"X-Tag": "ab"})
    assert (built, compiled) == ([], [])


def _docs_layer(client: TestClient) -> DocsMiddleware:
    stack = client.app.middleware.middleware_stack  # type: ignore[attr-defined]
    return next(layer for layer in stack if isinstance(layer, DocsMiddleware))


def test_api_requests_skip_the_docs_router(
    warm_lean_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API path never enters the docs layer's router; a docs path does."""
    layer = _docs_layer(warm_lean_client).docs
    entered: list[str] = []
    router = layer.router

    async def spy(scope: Scope, receive: Receive, send: Send) -> None:
        entered.append(scope["path"])
        await router(scope, receive, send)

    monkeypatch.setattr(layer, "router", spy)
    warm_lean_client.get("/pets/1")
    warm_lean_client.get("/openapi.json")
    assert entered == ["/openapi.json"]


def test_docs_prefixes_are_plain_paths_of_the_docs_routes(warm_lean_client: TestClient) -> None:
    """The docs router is mounts of plain routes: the prefixes name them all, with no parameter."""
    prefixes = docs_prefixes(_docs_layer(warm_lean_client).docs.router)
    assert {"/openapi.json", "/openapi.yaml", "/ui"} <= set(prefixes)
    assert all("{" not in prefix and not prefix.endswith("/") for prefix in prefixes)


def test_docs_files_are_sent_from_memory(warm_lean_client: TestClient) -> None:
    """Connexion's StaticFiles mount of the UI's files is found and mounted again from memory, in
    front of it; the file is served whole, with Starlette's validators, as Connexion would."""
    layer = _docs_layer(warm_lean_client)
    stock = [
        mount
        for api in layer.docs.router.routes
        for mount in getattr(api, "routes", [])
        if type(getattr(mount, "app", None)) is StaticFiles
    ]
    assert [mount.path for mount in stock] == ["/ui"]
    (ours,) = layer.files
    files = ours.app
    assert isinstance(files, MemoryStaticFiles)
    assert files.directory == stock[0].app.directory
    assert files.directory is not None
    path = os.path.join(files.directory, "swagger-ui.css")
    stat = os.stat(path)
    response = files.file_response(path, stat, {"type": "http", "headers": []})
    assert isinstance(response, MemoryFileResponse)
    assert response.stat_result is stat
    assert dict(response.headers) == dict(FileResponse(path, stat_result=stat).headers)
    served = warm_lean_client.get("/ui/swagger-ui.css")
    assert served.content == Path(path).read_bytes()
    assert served.headers["etag"] == response.headers["etag"]


def test_lean_stack_is_connexions_with_layers_in_place() -> None:
    """Every layer of Connexion's default stack is there, in order; each swapped one subclasses
    the stock one, but the docs layer, which holds it."""
    assert set(SWAPPED) <= set(ConnexionMiddleware.default_middlewares)
    assert [SWAPPED.get(m, m) for m in ConnexionMiddleware.default_middlewares] == MIDDLEWARES
    for stock, lean in SWAPPED.items():
        if lean is DocsMiddleware:
            assert isinstance(DocsMiddleware(_Marker(None)).docs, stock)  # type: ignore[arg-type]
        else:
            assert issubclass(lean, stock)


def test_connexions_ui_pages_are_the_ones_left_to_it(warm_lean_client: TestClient) -> None:
    """Under the UI's path Connexion's own routes answer exactly CONNEXION_UI_PAGES (the page is
    rendered; the files mount gets the rest)."""
    for api in _docs_layer(warm_lean_client).docs.router.routes:
        ui = [m for m in getattr(api, "routes", []) if type(getattr(m, "app", None)) is StaticFiles]
        if not ui:
            continue
        pages = {
            route.path.removeprefix(ui[0].path).lstrip("/")
            for route in api.routes
            if route.path.startswith(ui[0].path + "/") and route is not ui[0]
        }
        assert pages <= CONNEXION_UI_PAGES
        assert "" in pages


class _Marker:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@pytest.mark.parametrize("position", list(MiddlewarePosition))
def test_middleware_positions_find_swapped_layers(position: MiddlewarePosition) -> None:
    """add_middleware(position=...) puts a middleware right before the layer it names, swapped
    or not, as Connexion does."""
    app = LeanAsyncApp(__name__)
    app.add_middleware(_Marker, position=position)
    layers = [getattr(layer, "func", layer) for layer in app.middleware.middlewares]
    index = layers.index(_Marker)
    assert layers[index + 1] is SWAPPED.get(position.value, position.value)


def test_no_middleware_after_start(warm_lean_client: TestClient) -> None:
    """As in Connexion, the stack is fixed once the app has started."""
    app: Callable[..., Any] = warm_lean_client.app
    with pytest.raises(RuntimeError, match="after an application has started"):
        app.add_middleware(_Marker)  # type: ignore[attr-defined]


# Connexion and Starlette code that petsage.request_path replaces or does the work of, with the
# sha256 of its source (first 16 hex digits) as last reviewed. A change in any of them, even in a
# patch release, means the replacement may now differ: review it against the new code, then
# update the digest here.
REVIEWED: list[tuple[Callable[..., Any], str]] = [
    (RequestValidationOperation.__call__, "af472716211911b9"),  # validation.py reimplements it
    (AsyncOperation.__call__, "5435ed498983193d"),  # operations.py replaces it
    (AsyncOperation.fn.fget, "9cad70e32840c9ec"),  # ...and the chain it builds per request
    (ConnexionMiddleware.add_middleware, "9227158b3050452a"),  # stack.py's add_middleware
    (ParameterValidator.validate_parameter, "2d9293659a1c1ea5"),  # parameters.py overrides it
    (
        ParameterValidator.validate_header_parameter,
        "b99bd3b5f592e6da",
    ),  # ...and these, typing the value
    (ParameterValidator.validate_cookie_parameter, "d102e546172f6308"),
    (SwaggerUIMiddleware.__call__, "63d1a07033fd923d"),  # docs.py skips it for API paths
    (starlette_route_path, "243011d2a68ca7fe"),  # docs.route_path computes what it does
    # json_bodies.JsonBody.read does the work of these three for a JSON body...
    (AbstractRequestBodyValidator.wrap_receive, "44c469448a6e46fb"),
    (JSONRequestBodyValidator._parse, "653b0d4025a2592e"),
    (JSONRequestBodyValidator._validate, "273956bb6cb6dd4e"),
    # ...and operations.ContractResponseDecorator answers a case of this one first.
    (BaseResponseDecorator._infer_content_type, "da0fd1dd66d78f0d"),
]


@pytest.mark.parametrize(
    ("code", "digest"), REVIEWED, ids=[code.__qualname__ for code, _ in REVIEWED]
)
def test_reimplemented_connexion_code_is_the_reviewed_version(
    code: Callable[..., Any], digest: str
) -> None:
    """The library code the request path replaces is the version its replacement was checked
    against: an upgrade that changes it fails here rather than being skipped silently."""
    source = inspect.getsource(code)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == digest, code.__qualname__


@pytest.mark.parametrize(
    ("path", "root_path"),
    [
        ("/openapi.json", ""),
        ("/prefix/openapi.json", "/prefix"),
        ("/prefix", "/prefix"),
        ("/prefixed/openapi.json", "/prefix"),
        ("/other/openapi.json", "/prefix"),
    ],
)
def test_route_path_is_starlettes(path: str, root_path: str) -> None:
    """docs.route_path is the path Starlette's routers match, under any root path."""
    scope = {"type": "http", "path": path, "root_path": root_path}
    assert route_path(scope) == starlette_route_path(scope)


def test_served_app_enters_the_docs_router_only_for_the_docs_ui() -> None:
    """With the contract served before it, the docs layer of the served app answers only the UI:
    the root API, with nothing in that layer, adds no prefix that every path would match."""
    app = create_app(Settings())
    with app.test_client():
        stack = app.middleware.middleware_stack
        layer = next(layer for layer in stack if isinstance(layer, DocsMiddleware))
        assert layer.prefixes
        assert all(prefix.startswith("/api/v1/ui") for prefix in layer.prefixes)


@pytest.mark.parametrize(
    ("path", "routed"),
    [
        ("/pets/1", f"{__name__}.get_pet"),
        ("/ready?exclude=a", f"{__name__}.ready"),
        ("/nowhere", None),
        ("/openapi.json", None),
    ],
)
def test_the_routed_operation_id_reaches_the_outermost_layer(path: str, routed: str | None) -> None:
    """A layer outside Connexion's whole stack reads the operation the routing matched once the
    response is sent (petsage.request_path.operation_id); none for a path no operation has."""
    seen: list[str | None] = []

    class Outermost(_Marker):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            share_routing(scope)
            await self.app(scope, receive, send)
            seen.append(operation_id(scope))

    app = LeanAsyncApp(__name__, middlewares=[Outermost, *MIDDLEWARES])
    app.add_api(copy.deepcopy(SPEC))
    with app.test_client() as client:
        client.get(path)
    assert seen == [routed]
