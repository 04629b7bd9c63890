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

ROOT = Path(__file__).parents[1]
OPENAPI_DIR = ROOT / "openapi"
# The health token the tests' operators hold (PETSAGE_HEALTH_TOKEN_FILE): the full documents.
HEALTH_TOKEN = "operator-token-0123456789abcdef"  # noqa: S105 - a test token


def bearer(token: str = HEALTH_TOKEN) -> dict[str, str]:
    """The ``Authorization`` header of a caller with ``token``."""
    return {"Authorization": f"Bearer {token}"}


def doc_section(document: str, heading: str) -> str:
    """The text of ``document`` (a path from the repository's root, ``docs/configuration.md``)
    under ``heading`` (a whole heading line, ``## Check types``), up to the next heading of the
    same level or above; code blocks are kept whole."""
    level = len(heading.split(" ", 1)[0])
    lines = (ROOT / document).read_text().splitlines()
    start = lines.index(heading) + 1
    section, in_code = [], False
    for line in lines[start:]:
        in_code ^= line.startswith("```")
        hashes = len(line) - len(line.lstrip("#"))
        if not in_code and 0 < hashes <= level and line[hashes : hashes + 1] == " ":
            break
        section.append(line)
    return "\n".join(section)


def table_rows(section: str) -> dict[str, list[str]]:
    """The rows of the Markdown tables in ``section``, header rows included, by their first cell."""
    lines = [line.strip().strip("|") for line in section.splitlines() if line.startswith("| ")]
    cells = ([cell.strip() for cell in line.split(" | ")] for line in lines)
    return {row[0]: row[1:] for row in cells}


def load_spec(name: str = "petsage.yaml") -> dict[str, Any]:
    """The contract as written in ``openapi/``."""
    spec: dict[str, Any] = yaml.safe_load((OPENAPI_DIR / name).read_text())
    return spec


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


# The directories whose tests need more than this process, and their marker: `make check` leaves
# them out. A generated client, a real Prometheus and Optic (npm) all need a live server or node.
_MARKED_DIRECTORIES = {
    "live": "live",
    "consumer": "live",
    "metrics": "live",
    "tools": "live",
    "deploy": "deploy",
    "browser": "browser",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test of the directories above with their marker."""
    for item in items:
        directory = item.path.relative_to(ROOT / "tests").parts[0]
        if directory in _MARKED_DIRECTORIES:
            item.add_marker(getattr(pytest.mark, _MARKED_DIRECTORIES[directory]))


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
def health_token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file holding ``HEALTH_TOKEN`` and a newline, as a mounted Secret would."""
    path = tmp_path_factory.mktemp("secret") / "health-token"
    path.write_text(HEALTH_TOKEN + "\n")
    return path


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
