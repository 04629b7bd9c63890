"""What the contract declares about every operation is what the service does."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from petsage.request_path.resolver import handler_name
from tests.conftest import load_spec

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DOCUMENTS = {"petsage.yaml": "/api/v1", "root.yaml": ""}


def _operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(document, path, method, operation) of every operation in the contract."""
    return [
        (name, path, method, operation)
        for name in DOCUMENTS
        for path, item in load_spec(name)["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _concrete(path: str) -> str:
    return path.replace("{check}", "memory")


@pytest.mark.parametrize(
    ("name", "path", "item"),
    [(name, path, item) for name in DOCUMENTS for path, item in load_spec(name)["paths"].items()],
)
def test_every_get_declares_head_with_the_same_statuses(
    name: str, path: str, item: dict[str, Any]
) -> None:
    """Each path that takes GET declares HEAD too, with the same statuses and parameters."""
    assert set(item["head"]["responses"]) == set(item["get"]["responses"]), path
    assert item["head"].get("parameters") == item["get"].get("parameters"), path


@pytest.mark.parametrize(
    ("name", "path", "item"),
    [(name, path, item) for name in DOCUMENTS for path, item in load_spec(name)["paths"].items()],
)
def test_allow_lists_the_methods_the_contract_declares(
    client: TestClient, name: str, path: str, item: dict[str, Any]
) -> None:
    """A 405's Allow header names exactly the methods the contract declares for the path."""
    response = client.delete(DOCUMENTS[name] + _concrete(path))
    assert response.status_code == 405
    allowed = {method.strip().lower() for method in response.headers["allow"].split(",")}
    assert allowed == set(item) & HTTP_METHODS


@pytest.mark.parametrize(
    ("name", "path", "operation"),
    [(name, path, op) for name, path, method, op in _operations() if method == "head"],
)
def test_head_answers_the_status_and_headers_of_get(
    client: TestClient, name: str, path: str, operation: dict[str, Any]
) -> None:
    """A declared HEAD answers GET's status and headers (those the contract declares included)
    with no body."""
    url = DOCUMENTS[name] + _concrete(path)
    get, head = client.get(url), client.head(url)
    assert (head.status_code, head.content) == (get.status_code, b"")
    declared = operation["responses"][str(get.status_code)].get("headers", {})
    for header in ("content-type", *(header.lower() for header in declared)):
        assert head.headers.get(header) == get.headers.get(header), header


@pytest.mark.parametrize(("name", "path", "method", "operation"), _operations())
def test_operation_ids_are_api_names_of_resolvable_handlers(
    name: str, path: str, method: str, operation: dict[str, Any]
) -> None:
    """operationIds read as API names (a verb, then words in camel case), and each names a
    coroutine in the module its operation's x-openapi-router-controller gives."""
    operation_id = operation["operationId"]
    assert re.fullmatch(rf"{method}([A-Z][a-z]+)+", operation_id), operation_id
    module = importlib.import_module(operation["x-openapi-router-controller"])
    handler = getattr(module, handler_name(operation_id))
    assert callable(handler)


def test_handler_names_are_the_operation_ids_in_snake_case() -> None:
    """getReadinessCheck is handled by get_readiness_check, and so is headReadinessCheck."""
    assert handler_name("getReadinessCheck") == "get_readiness_check"
    assert handler_name("headSmokeTestLegacy") == "get_smoke_test_legacy"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_contract_says_the_api_is_public(name: str) -> None:
    """No operation requires credentials: none by default, said at the top, and an operation
    that names a scheme (the health probes' optional token) keeps the empty alternative."""
    spec = load_spec(name)
    assert spec["security"] == []
    assert all({} in operation.get("security", [{}]) for *_, operation in _operations())
