"""JSON request bodies on the conformance contract, through the app as served: every bad body is
a 400 or 415 problem that says why, a chunked body is a body, formats are enforced and the body is
read, validated and parsed once per request, with validators built once per operation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from connexion.validators.json import JSONRequestBodyValidator
from starlette.testclient import TestClient

from petsage.app import create_app
from petsage.settings import Settings
from tests.conformance import conformance_document
from tests.conformance.visits import visit_services

VISITS = "/conformance/visits"
VISIT = {"pet_name": "Rex", "species": "dog", "date": "2026-02-28"}
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(
        Settings(),
        validate_responses=True,
        contract=[conformance_document()],
        services=visit_services,
    )
    with app.test_client(raise_server_exceptions=False) as client:
        yield client


def _problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    detail: str = problem["detail"]
    return detail


def test_a_valid_body_is_created(client: TestClient) -> None:
    """201 with the body as the handler received it and its Location, which answers it."""
    created = client.post(VISITS, json=VISIT)
    assert created.status_code == 201
    assert created.json()["visit"] == VISIT
    assert client.get(created.headers["location"]).json() == created.json()


def test_a_chunked_body_is_read_as_any_other(client: TestClient) -> None:
    """A body sent with Transfer-Encoding: chunked (no Content-Length) is created, where
    Connexion answered 400 "RequestBody is required"."""
    raw = json.dumps(VISIT).encode()
    chunks = iter([raw[:10], raw[10:]])
    created = client.post(VISITS, content=chunks, headers=JSON_TYPE)
    assert created.status_code == 201, created.text
    assert created.json()["visit"] == VISIT


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"pet_name": "R\xffx"}', "not valid utf-8"),
        (b'{"pet_name": ', "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
    ],
    ids=["not-utf-8", "truncated", "bom"],
)
def test_a_body_that_is_not_json_is_400_saying_so(
    client: TestClient, content: bytes, says: str
) -> None:
    """Bytes that are not UTF-8 (a 500 in Connexion) or not JSON: 400 saying which."""
    assert says in _problem(client.post(VISITS, content=content, headers=JSON_TYPE), 400)


def test_an_unknown_charset_is_415(client: TestClient) -> None:
    """A charset Python cannot decode is unsupported, not a server error."""
    headers = {"Content-Type": "application/json; charset=no-such-charset"}
    detail = _problem(client.post(VISITS, content=b"{}", headers=headers), 415)
    assert "no-such-charset" in detail


@pytest.mark.parametrize(
    "headers", [{}, {"Content-Type": "text/plain"}, {"Content-Type": "application/xml"}]
)
def test_a_body_without_a_declared_media_type_is_415(
    client: TestClient, headers: dict[str, str]
) -> None:
    """No Content-Type (a 500 in Connexion) or one the operation does not declare: 415 naming
    the media types it takes."""
    detail = _problem(client.post(VISITS, content=json.dumps(VISIT), headers=headers), 415)
    assert "application/json" in detail


@pytest.mark.parametrize("chunked", [False, True])
def test_a_required_body_that_is_absent_is_400(client: TestClient, chunked: bool) -> None:
    """No body, or an empty chunked one, where the operation requires one."""
    content = iter([b""]) if chunked else b""
    detail = _problem(client.post(VISITS, content=content, headers=JSON_TYPE), 400)
    assert "required" in detail


def test_an_optional_body_may_be_absent(client: TestClient) -> None:
    """An operation whose body is optional answers without one."""
    answered = client.post("/conformance/echo/2026-02-28")
    assert answered.status_code == 200
    assert answered.json() == {"day": "2026-02-28"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date", "2023-02-30"),
        ("scheduled_at", "2026-02-28 10:00"),
        ("owner_email", "nobody"),
        ("clinic", {"name": "Vet", "website": "not a uri"}),
        ("clinic", {"name": "Vet", "ipv4": "10.0.0.256"}),
        ("clinic", {"name": "Vet", "ipv6": "::g"}),
    ],
)
def test_body_formats_are_enforced_naming_the_field(
    client: TestClient, field: str, value: Any
) -> None:
    """A value not of its format is 400, the detail naming the field by its path."""
    detail = _problem(client.post(VISITS, json={**VISIT, field: value}), 400)
    assert detail.startswith(f"Request body field '{field}")
    assert "is not a" in detail


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VISIT, "species": "fish"}, "species"),
        ({**VISIT, "extra": 1}, ""),
        ({**VISIT, "clinic": {"name": "Vet", "address": {"zip": "1"}}}, "clinic.address"),
        ({**VISIT, "tags": ["a", "B"]}, "tags.1"),
    ],
    ids=["enum", "additional", "nested-additional", "array-item"],
)
def test_a_body_against_its_schema_is_400_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    """Enums, additionalProperties: false at any depth and array items, by path."""
    detail = _problem(client.post(VISITS, json=body), 400)
    assert detail.startswith(f"Request body field '{field}'" if field else "Request body: ")


def test_a_patch_body_changes_only_its_fields(client: TestClient) -> None:
    """PATCH and PUT on a templated path carry their bodies to the handler."""
    location = client.post(VISITS, json=VISIT).headers["location"]
    changed = client.patch(location, json={"vaccinated": True})
    assert changed.json()["visit"] == {**VISIT, "vaccinated": True}
    replaced = client.put(location, json={**VISIT, "species": "cat"})
    assert replaced.json()["visit"] == {**VISIT, "species": "cat"}
    assert _problem(client.patch(location, json={}), 400).startswith("Request body: ")


def test_a_204_names_no_media_type(client: TestClient) -> None:
    """DELETE answers 204 with no body and no Content-Type (Connexion named the problem type)."""
    location = client.post(VISITS, json=VISIT).headers["location"]
    deleted = client.delete(location)
    assert deleted.status_code == 204
    assert "content-type" not in deleted.headers
    assert client.get(location).status_code == 404


def test_a_body_is_validated_by_a_validator_built_once_and_parsed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answering builds none of Connexion's per-request body validators, and parses the body once:
    the handler gets the one the validation layer parsed."""
    app = create_app(Settings(), contract=[conformance_document()], services=visit_services)
    with app.test_client() as client:
        client.post(VISITS, json={**VISIT, "pet_name": "Warm"})  # the stack is built
        built: list[int] = []
        monkeypatch.setattr(JSONRequestBodyValidator, "__init__", lambda *a, **k: built.append(1))
        parsed: list[str] = []
        loads = json.loads

        def counting_loads(text: Any, **options: Any) -> Any:
            parsed.append(text)
            return loads(text, **options)

        monkeypatch.setattr(json, "loads", counting_loads)
        assert client.post(VISITS, json=VISIT).status_code == 201
    assert built == []
    assert [loads(text) for text in parsed] == [VISIT]
