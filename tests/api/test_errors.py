"""Every error is RFC 9457 problem+json with a short human detail."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from connexion import AsyncApp
from starlette.testclient import TestClient

from petsage.contract import METHODS
from petsage.request_path.parameters import ConciseParameterValidator
from petsage.request_path.problems import add_problem_handlers
from petsage.request_path.stack import LeanAsyncApp
from tests.contracts import PATHS, Operation, declared_methods

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, title: str) -> dict[str, Any]:
    """``response`` is RFC 9457 problem+json with this status and title and a non-empty detail."""
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == "about:blank"
    assert body["title"] == title
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in body["detail"]
    return body


@pytest.mark.parametrize(
    "path", ["/nope", "/api/v1/nope", "/api/v2/smoke-test", "/api/v1/SMOKE-TEST"]
)
def test_unknown_path_is_404_problem(client: TestClient, path: str) -> None:
    """An unknown path gets 404 problem+json."""
    body = assert_problem(client.get(path), 404, "Not Found")
    assert body["detail"] == "The requested URL was not found on the server."


@pytest.mark.parametrize("path", PATHS, ids=[f"{op.document}:{op.path}" for op in PATHS])
def test_wrong_method_is_405_problem_with_allow(served_client: TestClient, path: Operation) -> None:
    """Every method a path of a contract does not declare gets 405 problem+json whose Allow
    names exactly the methods the contract declares for the path (HEAD with GET)."""
    declared = declared_methods(path.item)
    for method in sorted({method.upper() for method in METHODS} - declared):
        response = served_client.request(method, path.url)
        assert_problem(response, 405, "Method Not Allowed")
        assert {m.strip() for m in response.headers["allow"].split(",")} == declared, method


@pytest.mark.parametrize("path", ["/api/v1/smoke-test/", "/api/v1/smoke_test/"])
def test_trailing_slash_is_404_never_a_redirect(client: TestClient, path: str) -> None:
    """A trailing slash gets 404, never a redirect built from a client-supplied Host."""
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert_problem(response, 404, "Not Found")
    assert "location" not in response.headers


def test_docs_ui_redirect_stays_on_this_server(client: TestClient) -> None:
    """The one redirect the service sends (/ui to /ui/) is a path, not a client-supplied host."""
    response = client.get("/api/v1/ui", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/ui/"


_PARAM_SPEC = """
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      operationId: tests.api.test_errors.list_pets
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10}}
      responses:
        "200": {description: ok}
  /boom:
    get:
      operationId: tests.api.test_errors.explode
      responses:
        "200": {description: ok}
"""


async def list_pets(limit: int | None = None) -> dict[str, int | None]:
    return {"limit": limit}


async def explode() -> None:
    raise RuntimeError("secret internals")


@pytest.fixture
def inline_client(tmp_path: Path) -> TestClient:
    (tmp_path / "spec.yaml").write_text(_PARAM_SPEC)
    app = AsyncApp(
        __name__,
        specification_dir=tmp_path,
        validator_map={"parameter": ConciseParameterValidator},
    )
    app.add_api("spec.yaml")
    client: TestClient = app.test_client(raise_server_exceptions=False)
    return client


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=abc", "Query parameter 'limit': 'abc' is not of type 'integer'"),
        ("limit=11", "Query parameter 'limit': 11 is greater than the maximum of 10"),
    ],
)
def test_bad_parameter_is_400_with_one_sentence(
    inline_client: TestClient, query: str, detail: str
) -> None:
    """A bad parameter gets 400 with a one-line detail naming it, not a jsonschema dump."""
    body = assert_problem(inline_client.get(f"/pets?{query}"), 400, "Bad Request")
    assert body["detail"] == detail


def test_unexpected_error_is_generic_500_with_traceback_only_in_log(
    inline_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception becomes a generic 500; the traceback and message go to the log only."""
    with caplog.at_level(logging.ERROR):
        response = inline_client.get("/boom")
    body = assert_problem(response, 500, "Internal Server Error")
    assert "secret internals" not in response.text
    assert "RuntimeError" not in str(body)
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


async def add_note(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    return body, 201


FORM_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "A form", "version": "1"},
    "paths": {
        "/notes": {
            "post": {
                "operationId": f"{__name__}.add_note",
                "requestBody": {
                    "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
                },
                "responses": {"201": {"description": "Added."}},
            }
        }
    },
}


def test_a_client_gone_mid_body_is_one_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    """An operation that reads a form body from a client that went away logs one debug line
    and no error or traceback (Connexion's default logs the ClientDisconnect's traceback)."""
    app = LeanAsyncApp(__name__)
    add_problem_handlers(app)
    app.add_api(FORM_SPEC)
    headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"9")]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "path": "/notes", "raw_path": b"/notes", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"localhost"), *headers], "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000), "scheme": "http",
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.DEBUG):
        asyncio.run(app(scope, gone, send))
    mine = [r for r in caplog.records if "went away" in r.getMessage()]
    assert [r.levelno for r in mine] == [logging.DEBUG]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert sent[0]["status"] == 400
