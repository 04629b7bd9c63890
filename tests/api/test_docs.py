"""The contract is served as written, and the docs UI works with no network."""

from __future__ import annotations

import re
import urllib.parse

import pytest
import yaml
from starlette.testclient import TestClient

from petsage.app import create_app
from petsage.contract import load_document
from petsage.settings import Settings
from tests.conftest import OPENAPI_DIR, load_spec

SERVED = [
    ("/api/v1/openapi.json", "/api/v1/openapi.yaml", "petsage.yaml"),
    ("/openapi.json", "/openapi.yaml", "root.yaml"),
]


@pytest.mark.parametrize(("json_url", "yaml_url", "spec_name"), SERVED)
def test_served_contract_is_the_file(
    client: TestClient, json_url: str, yaml_url: str, spec_name: str
) -> None:
    """openapi.json is the YAML file's document, $refs and all, nothing resolved or rewritten;
    openapi.yaml is the file byte for byte."""
    written = load_spec(spec_name)
    assert client.get(json_url).json() == written
    as_yaml = client.get(yaml_url)
    assert as_yaml.headers["content-type"] == "application/yaml"
    assert as_yaml.content == (OPENAPI_DIR / spec_name).read_bytes()
    assert yaml.safe_load(as_yaml.content) == written


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"]} if "$ref" in node else set()
        return own.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


@pytest.mark.parametrize(("json_url", "yaml_url", "spec_name"), SERVED)
def test_every_served_reference_resolves_over_http(
    client: TestClient, json_url: str, yaml_url: str, spec_name: str
) -> None:
    """Every $ref of a served document, taken relative to its URL as a client takes it, points at
    a served document that has the target."""
    for url in (json_url, yaml_url):
        refs = _refs(client.get(url).json() if url.endswith(".json") else load_spec(spec_name))
        assert refs
        for ref in refs:
            target_url, _, pointer = urllib.parse.urljoin(url, ref).partition("#")
            answer = client.get(target_url)
            assert answer.status_code == 200, (ref, target_url)
            target = yaml.safe_load(answer.content)
            for part in pointer.strip("/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            assert isinstance(target, dict), ref


@pytest.mark.parametrize(
    ("kind", "name"),
    [("headers", "XContentTypeOptions"), ("headers", "Allow"), ("schemas", "Problem")],
)
def test_root_copies_of_the_api_components_are_equal(kind: str, name: str) -> None:
    """root.yaml stands alone (tools that follow no reference into another file read it) with
    copies of petsage.yaml's components, kept equal."""
    root, api = load_spec("root.yaml"), load_spec("petsage.yaml")
    assert root["components"][kind][name] == api["components"][kind][name]


def test_served_contract_takes_only_get_and_head(client: TestClient) -> None:
    """HEAD answers openapi.json's headers; another method is a 405 problem naming GET and HEAD."""
    head = client.head("/api/v1/openapi.json")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == "application/json"
    post = client.post("/api/v1/openapi.json")
    assert post.status_code == 405
    assert post.headers["content-type"] == "application/problem+json"
    assert {method.strip() for method in post.headers["allow"].split(",")} == {"GET", "HEAD"}


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
    """The UI loads this API's openapi.json, the one served as written, as the welcome links it."""
    assert "/api/v1/openapi.json" in client.get("/api/v1/ui/").text
    assert client.get("/").json()["links"]["openapi"] == "/api/v1/openapi.json"


def test_building_the_app_leaves_the_parsed_contract_as_written() -> None:
    """create_app hands Connexion the contract parsed once (petsage.contract); Connexion's
    processing does not change that shared copy."""
    with create_app(Settings()).test_client() as client:
        client.get("/api/v1/openapi.json")
    assert load_document() == load_spec("petsage.yaml")
    assert load_document("root.yaml") == load_spec("root.yaml")
