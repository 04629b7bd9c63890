"""A real ``petsage serve`` (uvicorn, httptools, uvloop) on a free loopback port."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from petsage.testing import LiveServer, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with running_server() as live:
        yield live


def test_smoke_test_over_real_http(server: LiveServer) -> None:
    """Over TCP the smoke test has the contract's body and headers, and no server header."""
    with urllib.request.urlopen(f"{server.base_url}/api/v1/smoke-test", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
        assert "Server" not in response.headers
        body = json.load(response)
    assert body["status"] == "ok"
    assert body["message"] == "PetSage system is alive and purring!"
