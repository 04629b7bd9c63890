"""`make contract URL=...`: Schemathesis against a deployed instance, with the suite's settings."""

from __future__ import annotations

import os
import subprocess

from petsage.testing import running_server
from tests.deploy.conftest import ROOT


def _make_contract(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "contract", *args],  # noqa: S607 - make from PATH, as a user runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_make_contract_without_url_is_a_usage_error() -> None:
    """With no URL the target exits 2 and says how to call it."""
    result = _make_contract()
    assert result.returncode == 2
    assert "usage: make contract URL=" in result.stderr


def test_make_contract_finds_no_issue_against_a_live_server() -> None:
    """Against a real `petsage serve`, the target runs Schemathesis and reports no issue."""
    with running_server("--log-level", "warning") as server:
        result = _make_contract(f"URL={server.base_url}/api/v1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No issues found" in result.stdout, result.stdout
