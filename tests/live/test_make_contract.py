"""The live Schemathesis run: `make contract URL=...` against a deployed instance, with the suite's
settings, and the same command line over the conformance contract, both against one real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from petsage.contract import document_base_path
from petsage.testing import running_server
from tests.conformance import DOCUMENT_PATH, conformance_document
from tests.deploy.conftest import ROOT

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _make_contract(*args: str) -> subprocess.CompletedProcess[str]:
    return _run(["make", "--no-print-directory", "contract", *args])


def test_make_contract_without_url_is_a_usage_error() -> None:
    """With no URL the target exits 2 and says how to call it."""
    result = _make_contract()
    assert result.returncode == 2
    assert "usage: make contract URL=" in result.stderr


def test_schemathesis_finds_no_issue_in_either_contract_against_a_live_server() -> None:
    """Against a real `petsage serve` that serves the conformance contract beside the product's,
    `make contract` (the product's contract) and `schemathesis run` over the conformance contract
    (its links followed in the stateful phase) report no issue."""
    with running_server(env={"PETSAGE_LOG_LEVEL": "warning"}, module="tests.conformance") as server:
        product = _make_contract(f"URL={server.base_url}/api/v1")
        base = document_base_path(conformance_document())
        conformance = _run(
            [str(SCHEMATHESIS), "run", str(DOCUMENT_PATH), "--url", server.base_url + base]
        )
    for result in (product, conformance):
        assert result.returncode == 0, result.stdout + result.stderr
        # Every case generated passed (a warning, such as ids that fuzzing cannot guess, is no
        # issue but takes the place of "No issues found").
        assert re.search(r"(\d+) generated, \1 passed\n", result.stdout), result.stdout
    assert "✅ Stateful" in conformance.stdout, conformance.stdout
