"""What each contract declares about every operation is what the service does, and every operation
follows the conventions of docs/adding-an-operation.md. The cases come from the contracts
(tests/contracts.py): a new operation is tested here with no edit."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from starlette.testclient import TestClient

from petsage.request_path.resolver import handler_name
from tests.contracts import (
    DOCUMENTS,
    OPERATIONS,
    Operation,
    example,
)


def _ids(cases: list[Operation]) -> list[str]:
    return [str(case) for case in cases]


GETS = [op for op in OPERATIONS if op.method == "get"]
HEADS = [op for op in OPERATIONS if op.method == "head"]


@pytest.mark.parametrize("get", GETS, ids=_ids(GETS))
def test_every_get_declares_head_with_the_same_statuses(get: Operation) -> None:
    """Each path that takes GET declares HEAD too, with the same statuses and parameters, bound
    to the GET handler."""
    head = next(op for op in HEADS if (op.document, op.path) == (get.document, get.path))
    assert head.statuses() == get.statuses()
    assert head.parameters == get.parameters
    # GET's handler answers HEAD: the resolver binds the HEAD operation to it.
    assert handler_name(head.operation_id) == handler_name(get.operation_id)


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids(OPERATIONS))
def test_every_operation_declares_400_and_default(operation: Operation) -> None:
    """Every operation declares 400 (a bad parameter, or the HTTP layer's refusal) and a
    problem+json ``default`` (404, 405, 413, 500...)."""
    assert {"400", "default"} <= operation.statuses()


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids(OPERATIONS))
def test_every_parameter_and_body_has_an_example(operation: Operation) -> None:
    """A path parameter, a required parameter and a JSON body declare an example: the tests, the
    docs UI and a generated client's caller take it as a value that is valid."""
    for parameter in operation.parameters:
        if parameter["in"] == "path" or parameter.get("required"):
            example(parameter)
    if "requestBody" in operation.definition:
        assert operation.body is not None


@pytest.mark.parametrize("head", HEADS, ids=_ids(HEADS))
def test_head_answers_the_status_and_headers_of_get(
    served_client: TestClient, head: Operation
) -> None:
    """A declared HEAD answers GET's status and headers (those the contract declares included)
    with no body."""
    query, headers = head.required("query"), head.required("header")
    get = served_client.get(head.url, params=query, headers=headers)
    answer = served_client.head(head.url, params=query, headers=headers)
    assert (answer.status_code, answer.content) == (get.status_code, b"")
    status = str(get.status_code)
    declared = head.definition["responses"].get(status, head.definition["responses"]["default"])
    for header in ("content-type", *(header.lower() for header in declared.get("headers", {}))):
        assert answer.headers.get(header) == get.headers.get(header), header


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids(OPERATIONS))
def test_operation_ids_are_api_names_of_resolvable_handlers(operation: Operation) -> None:
    """operationIds read as API names (a verb, then words in camel case), are unique in their
    document, and each names a coroutine, in the module its x-openapi-router-controller gives,
    that takes the operation's parameters under the names Connexion passes them."""
    operation_id = operation.operation_id
    assert re.fullmatch(r"[a-z]+([A-Z][a-z0-9]*)*", operation_id), operation_id
    same = [
        op
        for op in OPERATIONS
        if (op.document, op.operation_id) == (operation.document, operation_id)
    ]
    assert same == [operation]
    module = importlib.import_module(operation.definition["x-openapi-router-controller"])
    handler = getattr(module, handler_name(operation_id))
    assert inspect.iscoroutinefunction(handler)
    accepted = inspect.signature(handler).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    for parameter in operation.parameters:
        if parameter["in"] in ("path", "query"):
            assert takes_any or _argument(parameter["name"]) in accepted, parameter["name"]
    if "requestBody" in operation.definition:
        assert takes_any or "body" in accepted


def _argument(name: str) -> str:
    """The argument Connexion passes a parameter as: its name without the characters a Python
    name cannot have (``visit_id`` as is; ``X-Count`` would be ``XCount``)."""
    return re.sub(r"^[^a-zA-Z_]+", "", re.sub(r"[^0-9a-zA-Z_]", "", name))


def test_handler_names_are_the_operation_ids_in_snake_case() -> None:
    """getReadinessCheck is handled by get_readiness_check, and so is headReadinessCheck."""
    assert handler_name("getReadinessCheck") == "get_readiness_check"
    assert handler_name("headSmokeTestLegacy") == "get_smoke_test_legacy"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_contract_says_the_api_is_public(name: str) -> None:
    """No operation requires credentials: none by default, said at the top, and an operation
    that names a scheme (the health probes' optional token) keeps the empty alternative."""
    assert DOCUMENTS[name]["security"] == []
    named = [op for op in OPERATIONS if op.document == name]
    assert all({} in op.definition.get("security", [{}]) for op in named)
