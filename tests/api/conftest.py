from __future__ import annotations

from collections.abc import Iterator

import pytest
from connexion import AsyncApp
from starlette.testclient import TestClient

from tests.contracts import served_app


@pytest.fixture(scope="module")
def served() -> AsyncApp:
    """The app serving every contract of tests/contracts.py, responses validated."""
    return served_app()


@pytest.fixture
def served_client(served: AsyncApp) -> Iterator[TestClient]:
    """A client of ``served``, started."""
    with served.test_client() as client:
        yield client
