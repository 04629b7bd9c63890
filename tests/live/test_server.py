"""A real ``petsage serve`` (uvicorn, httptools, uvloop) on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.testing import LiveServer, running_server

ROOT = Path(__file__).parents[2]


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


def test_schemathesis_cli_finds_no_issue_against_the_live_server(server: LiveServer) -> None:
    """The README's command, `schemathesis run openapi/petsage.yaml --url <base>/api/v1`, passes."""
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            "openapi/petsage.yaml",
            "--url",
            f"{server.base_url}/api/v1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No issues found" in result.stdout, result.stdout
