"""The conformance contract served by ``create_app(contract=...)``: path items with their own
fields, 405's ``Allow`` on every path, formats on every kind of parameter, deprecation headers,
and services built at startup and closed at shutdown."""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from petsage.app import create_app, product_contract
from petsage.contract import METHODS, document_base_path, operations, path_items
from petsage.logs import CONNEXION_PROBLEMS, ClientProblemsAtDebug, log_config
from petsage.request_path.deprecation import DeprecationDateError, deprecation_headers
from petsage.request_path.services import service
from petsage.settings import Settings
from tests.conformance import conformance_document
from tests.conformance.visits import VisitStore, visit_services

BASE = document_base_path(conformance_document())


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(
        Settings(),
        validate_responses=True,
        contract=[*product_contract(), conformance_document()],
        services=visit_services,
    )
    with app.test_client(raise_server_exceptions=False) as client:
        yield client


def test_path_items_yield_only_operations() -> None:
    """A path item's parameters, summary, description and servers are not operations."""
    item = conformance_document()["paths"]["/visits"]
    assert {"parameters", "summary", "description", "servers"} <= set(item)
    assert [method for method, _ in operations(item)] == ["get", "post", "head"]


def test_a_path_level_parameter_is_validated(client: TestClient) -> None:
    """The path item's X-Request-Id applies to each of its operations."""
    for method in ("GET", "POST"):
        answered = client.request(method, f"{BASE}/visits", headers={"X-Request-Id": "nope"})
        assert answered.status_code == 400
        assert (
            answered.json()["detail"] == "Header parameter 'X-Request-Id': 'nope' is not a 'uuid'"
        )


def _allow_cases() -> list[tuple[str, str, set[str]]]:
    """(a path of each declared path, a method it does not declare, the methods it declares)."""
    cases = []
    for document in [*product_contract(), conformance_document()]:
        for template, item in path_items(document):
            declared = {method.upper() for method, _ in operations(item)} | {"HEAD"}
            path = document_base_path(document) + template
            for name in ("{visit_id}", "{check}", "{day}"):
                path = path.replace(name, "9b2f7c1e-2a4d-4c4e-9d7a-3c1f0e8b5a61")
            refused = next(m.upper() for m in METHODS if m.upper() not in declared)
            cases.append((path, refused, declared))
    return cases


@pytest.mark.parametrize(("path", "method", "declared"), _allow_cases())
def test_405_allows_every_method_the_path_declares(
    client: TestClient, path: str, method: str, declared: set[str]
) -> None:
    """Allow names the path's methods, HEAD with GET, on paths with several methods too (where
    Connexion named those of the first route matched)."""
    answered = client.request(method, path)
    assert answered.status_code == 405
    assert set(answered.headers["allow"].split(", ")) == declared
    assert answered.json()["status"] == 405


@pytest.mark.parametrize(
    ("query", "headers", "named"),
    [
        ("at=2026-02-28", {}, "Query parameter 'at'"),
        ("id=not-a-uuid", {}, "Query parameter 'id'"),
        ("email=nobody", {}, "Query parameter 'email'"),
        ("site=not%20a%20uri", {}, "Query parameter 'site'"),
        ("v4=10.0.0.256", {}, "Query parameter 'v4'"),
        ("v6=::g", {}, "Query parameter 'v6'"),
        ("", {"X-Trace": "not-a-uuid"}, "Header parameter 'X-Trace'"),
    ],
)
def test_parameter_formats_are_enforced_naming_the_parameter(
    client: TestClient, query: str, headers: dict[str, str], named: str
) -> None:
    """A query or header value not of its format is 400 naming the parameter."""
    answered = client.get(f"{BASE}/echo/2026-02-28?{query}", headers=headers)
    assert answered.status_code == 400
    assert answered.json()["detail"].startswith(named + ": ")
    assert "is not a" in answered.json()["detail"]


def test_a_header_is_typed_as_its_schema_says(client: TestClient) -> None:
    """An integer header is an integer (Connexion validated the text, refusing every value)."""
    path = f"{BASE}/echo/2026-02-28"
    assert client.get(path, headers={"X-Count": "2"}).status_code == 200
    refused = client.get(path, headers={"X-Count": "many"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Header parameter 'X-Count': 'many' is not of type 'integer'"


@pytest.mark.parametrize(
    "path", [f"{BASE}/echo/2023-02-30", f"{BASE}/visits/not-a-uuid"], ids=["date", "uuid"]
)
def test_path_parameter_formats_are_enforced(client: TestClient, path: str) -> None:
    """A path parameter not of its format never reaches the handler."""
    answered = client.get(path)
    assert answered.status_code == 400
    assert answered.json()["detail"].startswith("Path parameter ")


def test_parameters_of_each_type_and_style_reach_the_handler(client: TestClient) -> None:
    """Integers, numbers, booleans, enums and arrays exploded or not, as the contract types them."""
    query = "count=3&ratio=0.5&flag=false&level=low&colors=red&colors=blue&sizes=1,2"
    query += "&at=2026-02-28T10:00:00Z&id=9b2f7c1e-2a4d-4c4e-9d7a-3c1f0e8b5a61&v6=::1"
    answered = client.get(f"{BASE}/echo/2026-02-28?{query}", headers={"X-Count": "2"})
    assert answered.json() == {
        "day": "2026-02-28",
        "count": 3,
        "ratio": 0.5,
        "flag": False,
        "level": "low",
        "colors": ["red", "blue"],
        "sizes": [1, 2],
        "at": "2026-02-28T10:00:00Z",
        "id": "9b2f7c1e-2a4d-4c4e-9d7a-3c1f0e8b5a61",
        "v6": "::1",
    }


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_deprecated_operation_says_so(client: TestClient, method: str) -> None:
    """Deprecation (RFC 9745), Sunset (RFC 8594) and the Link, from the contract's dates."""
    answered = client.request(method, f"{BASE}/visit-count")
    assert answered.status_code == 200
    assert answered.headers["deprecation"] == "@1767225600"  # 2026-01-01T00:00:00Z
    assert answered.headers["sunset"] == "Fri, 31 Dec 2027 23:59:59 GMT"
    assert answered.headers["link"] == (
        '<https://github.com/petsage/petsage-api/blob/main/docs/deprecation.md>; rel="deprecation"'
    )


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_deprecated_smoke_test_path_says_so(client: TestClient, method: str) -> None:
    """/api/v1/smoke_test answers Deprecation and Link; /api/v1/smoke-test neither."""
    legacy = client.request(method, "/api/v1/smoke_test")
    assert legacy.headers["deprecation"] == "@1795305600"  # 2026-11-22T00:00:00Z
    assert legacy.headers["link"].endswith('>; rel="deprecation"')
    assert "sunset" not in legacy.headers
    current = client.request(method, "/api/v1/smoke-test")
    assert "deprecation" not in current.headers
    assert "link" not in current.headers


@pytest.mark.parametrize(
    ("fields", "error"),
    [({}, "give the date"), ({"x-deprecated-at": "soon"}, "not an RFC 3339 date")],
)
def test_a_deprecated_operation_without_its_date_stops_the_start(
    fields: dict[str, Any], error: str
) -> None:
    """RFC 9745's header is a date: a deprecated operation must give it."""
    document = conformance_document()
    operation = document["paths"]["/visit-count"]["get"]
    for key in ("x-deprecated-at", "x-sunset"):
        del operation[key]
    operation.update(fields)
    with pytest.raises(DeprecationDateError, match=error):
        create_app(Settings(), contract=[document])


def test_deprecation_dates_may_be_yaml_dates() -> None:
    """An unquoted date in YAML is a date: midnight UTC."""
    from datetime import date

    headers = dict(deprecation_headers({"deprecated": True, "x-deprecated-at": date(2026, 1, 1)}))
    assert headers == {b"deprecation": b"@1767225600"}


def test_services_are_built_at_startup_handed_to_handlers_and_closed_at_shutdown() -> None:
    """The factory is entered when the app starts, its services reach handlers, and it is left
    when the app stops."""
    stores: list[VisitStore] = []

    @asynccontextmanager
    async def factory() -> AsyncIterator[dict[str, object]]:
        async with visit_services() as built:
            stores.append(service_of(built))
            yield built

    app = create_app(Settings(), contract=[conformance_document()], services=factory)
    assert stores == []
    with app.test_client() as client:
        assert len(stores) == 1
        client.post(
            f"{BASE}/visits", json={"pet_name": "Rex", "species": "dog", "date": "2026-02-28"}
        )
        assert client.get(f"{BASE}/visit-count").json() == {"count": 1}
        assert len(stores[0].all()) == 1
        assert not stores[0].closed
    assert stores[0].closed


def service_of(built: Any) -> VisitStore:
    store = built["visits"]
    assert isinstance(store, VisitStore)
    return store


def test_a_service_the_factory_did_not_build_is_a_server_error() -> None:
    """A handler asking for a service the app was not given fails loudly (500), not silently."""
    app = create_app(Settings(), contract=[conformance_document()])
    with app.test_client(raise_server_exceptions=False) as client:
        assert client.get(f"{BASE}/visit-count").status_code == 500


def test_service_names_what_is_wrong() -> None:
    """LookupError for a missing name, TypeError for another kind."""
    from connexion.context import _scope

    token = _scope.set({"state": {"petsage.services": {"visits": object()}}})
    try:
        with pytest.raises(LookupError, match="'pets'"):
            service("pets", VisitStore)
        with pytest.raises(TypeError, match="not a VisitStore"):
            service("visits", VisitStore)
    finally:
        _scope.reset(token)


def test_client_errors_are_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Connexion's WARNING for each 4xx problem is a DEBUG line under the served logging
    configuration; its ERROR lines are untouched."""
    config = log_config(Settings())
    assert config["loggers"][CONNEXION_PROBLEMS] == {"filters": ["client_problems"]}
    assert config["filters"]["client_problems"]["()"] is ClientProblemsAtDebug
    logger = logging.getLogger(CONNEXION_PROBLEMS)
    problems = ClientProblemsAtDebug()
    logger.addFilter(problems)
    app = create_app(Settings(), contract=[copy.deepcopy(conformance_document())])
    try:
        with app.test_client() as client:
            with caplog.at_level(logging.INFO):
                client.get(f"{BASE}/visits/not-a-uuid")
            assert not [r for r in caplog.records if r.name == CONNEXION_PROBLEMS]
            with caplog.at_level(logging.DEBUG):
                client.get(f"{BASE}/visits/not-a-uuid")
            mine = [r for r in caplog.records if r.name == CONNEXION_PROBLEMS]
            assert [r.levelno for r in mine] == [logging.DEBUG]
            assert "BadRequestProblem" in mine[0].getMessage()
    finally:
        logger.removeFilter(problems)
