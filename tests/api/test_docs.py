"""The contract is served as written, and the docs UI works with no network."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from petsage.app import create_app
from petsage.contract import load_document
from petsage.settings import Settings
from tests.conftest import load_spec, resolve_refs


@pytest.mark.parametrize(
    ("url", "spec_name"), [("/api/v1/openapi.json", "petsage.yaml"), ("/openapi.json", "root.yaml")]
)
def test_served_contract_is_the_file(client: TestClient, url: str, spec_name: str) -> None:
    """openapi.json describes the same API as the YAML file: the same operations, responses and
    schemas once the file's $refs are followed (Connexion serves them inlined)."""
    served = client.get(url).json()
    written = load_spec(spec_name)
    for key in ("openapi", "info", "tags", "paths"):
        assert served.get(key) == resolve_refs(written.get(key), written), key


def test_docs_ui_and_its_assets_are_served_locally(client: TestClient) -> None:
    """Swagger UI's page and every script and stylesheet it loads come from this server."""
    page = client.get("/api/v1/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page.text)
    assert assets, "the page loads no script or stylesheet"
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        assert client.get(f"/api/v1/ui/{asset.removeprefix('./')}").status_code == 200, asset


def test_docs_ui_points_at_the_served_contract(client: TestClient) -> None:
    """The UI loads this API's openapi.json."""
    assert "/api/v1/openapi.json" in client.get("/api/v1/ui/").text


def test_building_the_app_leaves_the_parsed_contract_as_written() -> None:
    """create_app hands Connexion the contract parsed once (petsage.contract); Connexion's
    processing does not change that shared copy."""
    with create_app(Settings()).test_client() as client:
        client.get("/api/v1/openapi.json")
    assert load_document() == load_spec("petsage.yaml")
