from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from connexion import AsyncApp
from starlette.testclient import TestClient

from petsage.app import create_app
from petsage.settings import Settings
from tests.services.datastores import Postgres, Redis, postgres_bin, running_postgres, running_redis

OPENAPI_DIR = Path(__file__).parents[1] / "openapi"


def load_spec(name: str = "petsage.yaml") -> dict[str, Any]:
    """The contract as written in ``openapi/``."""
    return yaml.safe_load((OPENAPI_DIR / name).read_text())


def resolve_refs(node: Any, document: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` (local, or into a sibling file) replaced by its target."""
    if isinstance(node, list):
        return [resolve_refs(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        file_name, _, pointer = node["$ref"].partition("#")
        target_document = load_spec(file_name) if file_name else document
        target: Any = target_document
        for part in pointer.strip("/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return resolve_refs(target, target_document)
    return {key: resolve_refs(value, document) for key, value in node.items()}


@pytest.fixture
def app() -> AsyncApp:
    """The app as served, with every response validated against the contract."""
    return create_app(Settings(), validate_responses=True)


@pytest.fixture
def client(app: AsyncApp) -> Iterator[TestClient]:
    """A client of the started app (its lifespan has run, as under uvicorn)."""
    with app.test_client() as client:
        yield client


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL on a free port for the session; the role `checker` logs in by password."""
    if postgres_bin() is None:
        pytest.skip(
            "PostgreSQL is not installed and could not be (tests/services/install-services.sh)"
        )
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis() -> Iterator[Redis]:
    """A real redis-server with a password on a free port for the session."""
    if shutil.which("redis-server") is None:
        pytest.skip(
            "redis-server is not installed and could not be (tests/services/install-services.sh)"
        )
    with running_redis() as server:
        yield server
