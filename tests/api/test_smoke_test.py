"""The smoke-test operations as a client sees them through Connexion's test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

SMOKE_PATHS = ["/api/v1/smoke-test", "/api/v1/smoke_test"]


@pytest.mark.parametrize("path", SMOKE_PATHS)
def test_smoke_test_answers_ok(client: TestClient, path: str) -> None:
    """The seeds' assertions: 200, ok, the message, an aware ISO 8601 timestamp close to now."""
    response = client.get(path)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["message"] == "PetSage system is alive and purring!"
    timestamp = datetime.fromisoformat(data["timestamp"])
    assert timestamp.tzinfo is not None
    assert abs(datetime.now(UTC) - timestamp) < timedelta(seconds=5)


@pytest.mark.parametrize("path", SMOKE_PATHS)
def test_smoke_test_body_has_exactly_the_contract_fields(client: TestClient, path: str) -> None:
    """The body is JSON with status, message and timestamp and nothing else."""
    response = client.get(path)
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"status", "message", "timestamp"}


@pytest.mark.parametrize("path", SMOKE_PATHS)
def test_smoke_test_is_never_cacheable(client: TestClient, path: str) -> None:
    """Cache-Control: no-store, so no cache can replay an old ok."""
    assert client.get(path).headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", [*SMOKE_PATHS, "/"])
def test_head_has_the_status_and_headers_of_get_and_no_body(client: TestClient, path: str) -> None:
    """HEAD answers like GET, without a body."""
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    for header in ("content-type", "content-length", "cache-control"):
        assert head.headers.get(header) == get.headers.get(header)


def test_legacy_path_is_declared_deprecated(client: TestClient) -> None:
    """The served contract marks /smoke_test deprecated and /smoke-test not."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/smoke_test"]["get"]["deprecated"] is True
    assert "deprecated" not in paths["/smoke-test"]["get"]


def test_root_welcomes_and_links_to_the_api(client: TestClient) -> None:
    """GET / greets and links, by path, to the smoke test, the contract and the docs UI."""
    response = client.get("/")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Welcome to the PetSage API"
    assert body["links"] == {
        "smokeTest": "/api/v1/smoke-test",
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/ui/",
    }
    for link in body["links"].values():
        assert client.get(link).status_code == 200
