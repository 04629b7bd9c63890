"""Every response, errors included, has nosniff and no Server or CORS headers."""

from __future__ import annotations

import pytest
from httpx2 import Headers
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from petsage.health.lifecycle import Lifecycle
from petsage.middleware.access_log import AccessLog
from petsage.middleware.edge import EdgeMiddleware

ORIGIN = {"Origin": "https://evil.example"}


def _assert_clean(headers: Headers) -> None:
    names = {name.lower() for name in headers}
    assert headers["x-content-type-options"] == "nosniff"
    assert "server" not in names
    assert not {name for name in names if name.startswith("access-control-")}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/smoke-test", 200),
        ("HEAD", "/api/v1/smoke-test", 200),
        ("GET", "/", 200),
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/ui/", 200),
        ("GET", "/api/v1/nope", 404),
        ("GET", "/api/v1/smoke-test/", 404),
        ("POST", "/api/v1/smoke-test", 405),
        ("OPTIONS", "/api/v1/smoke-test", 405),  # a CORS preflight gets no CORS headers
        ("GET", "/api/v1/smoke-test?unknown=%FF", 200),
    ],
)
def test_response_is_nosniff_without_server_or_cors_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    """Successes, routing errors and preflights all carry nosniff and nothing to drop."""
    headers = {**ORIGIN, "Access-Control-Request-Method": "GET"}
    response = client.request(method, path, headers=headers)
    assert response.status_code == status
    _assert_clean(response.headers)


def _leaky(_request: object) -> PlainTextResponse:
    return PlainTextResponse(
        "hi",
        headers={
            "Server": "leaky/1.0",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "sniff-away",
        },
    )


def test_middleware_drops_what_an_inner_layer_adds() -> None:
    """Server, Access-Control-* and a wrong X-Content-Type-Options from inside are replaced."""
    app = Starlette(routes=[Route("/", _leaky)])
    app.add_middleware(EdgeMiddleware, access_log=AccessLog(), lifecycle=Lifecycle())
    response = TestClient(app).get("/", headers=ORIGIN)
    _assert_clean(response.headers)
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
