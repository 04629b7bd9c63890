"""`make contract-diff BASE=<ref>` fails on a change that breaks a consumer, and only then."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OPENAPI_DIR

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tools" / "contract_diff.py"

SMOKE_MESSAGE = """        message:
          type: string
          description: A human confirmation in the PetSage voice.
          example: PetSage system is alive and purring!
"""
HEALTH_STATUS = "      enum: [pass, warn, fail]\n"
TIMESTAMP = "        timestamp:\n          type: string\n          format: date-time\n"

# (change, old text, new text) applied to openapi/petsage.yaml.
BREAKING = [
    ("a removed response field", SMOKE_MESSAGE, ""),
    ("a response enum widened", HEALTH_STATUS, "      enum: [pass, warn, fail, degraded]\n"),
    ("a removed operation", "  /smoke_test:\n    get:\n", "  /smoke_test:\n    x-gone:\n"),
]
COMPATIBLE = [
    (
        "a new optional response field",
        TIMESTAMP,
        "        uptime:\n          type: number\n          description: Seconds since start.\n"
        + TIMESTAMP,
    ),
    (
        "a response enum narrowed (fewer values to handle)",
        HEALTH_STATUS,
        "      enum: [pass, fail]\n",
    ),
    ("nothing", "", ""),
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)  # noqa: S607


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose HEAD holds this contract."""
    shutil.copytree(OPENAPI_DIR, tmp_path / "openapi")
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", "openapi")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return tmp_path


def _diff_after(repo: Path, old: str, new: str) -> subprocess.CompletedProcess[str]:
    document = repo / "openapi" / "petsage.yaml"
    text = document.read_text()
    assert old in text
    document.write_text(text.replace(old, new, 1))
    return subprocess.run(
        [sys.executable, str(SCRIPT), "HEAD", "--repo", str(repo)],
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.parametrize(("change", "old", "new"), BREAKING, ids=[case[0] for case in BREAKING])
def test_breaking_change_fails(repo: Path, change: str, old: str, new: str) -> None:
    """A change that breaks a consumer exits 1 and says which document broke."""
    result = _diff_after(repo, old, new)
    assert result.returncode == 1, result.stdout + result.stderr
    # management.yaml takes its health operations from petsage.yaml: a break there may break both.
    broken = result.stderr.partition("breaking changes since HEAD: ")[2].split("\n")[0]
    assert "petsage.yaml" in broken.split(", "), result.stderr


@pytest.mark.parametrize(("change", "old", "new"), COMPATIBLE, ids=[case[0] for case in COMPATIBLE])
def test_compatible_change_passes(repo: Path, change: str, old: str, new: str) -> None:
    """An additive change, or one that only narrows what responses may hold, exits 0."""
    result = _diff_after(repo, old, new)
    assert result.returncode == 0, result.stdout + result.stderr
