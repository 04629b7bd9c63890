"""`make contract-diff [BASE=<ref>]` fails on a change that breaks a consumer, and only then; with
no BASE it compares with the last release, and fails when the clone cannot say which that is."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import OPENAPI_DIR

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tools" / "contract_diff.py"

Change = Callable[[dict[str, Any]], None]


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def _remove_smoke_message(document: dict[str, Any]) -> None:
    smoke = _schemas(document)["SmokeTestResponse"]
    del smoke["properties"]["message"]
    smoke["required"].remove("message")


def _health_statuses(*statuses: str) -> Change:
    def change(document: dict[str, Any]) -> None:
        _schemas(document)["HealthStatus"]["enum"] = list(statuses)

    return change


def _remove_legacy_smoke_test(document: dict[str, Any]) -> None:
    del document["paths"]["/smoke_test"]["get"]


def _add_uptime(document: dict[str, Any]) -> None:
    uptime = {"type": "number", "description": "Seconds since start."}
    _schemas(document)["SmokeTestResponse"]["properties"]["uptime"] = uptime


def _deprecation_headers(document: dict[str, Any]) -> None:
    """What RFC 9745 and RFC 8594 add to a deprecated operation's answer."""
    headers = {
        name: {"description": name, "schema": {"type": "string"}}
        for name in ("Deprecation", "Sunset", "Link")
    }
    smoke = document["components"]["responses"]["SmokeTest"]
    document["paths"]["/smoke_test"]["get"]["responses"]["200"] = {
        **smoke,
        "headers": {**smoke["headers"], **headers},
    }


def _health_one_of(document: dict[str, Any]) -> None:
    """A second shape of health document, for callers that get only the status."""
    _schemas(document)["StatusOnly"] = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"$ref": "#/components/schemas/HealthStatus"}},
    }
    media = document["components"]["responses"]["Healthy"]["content"]["application/health+json"]
    alternatives = media["schema"].get("oneOf", [media["schema"]])
    media["schema"] = {"oneOf": [*alternatives, {"$ref": "#/components/schemas/StatusOnly"}]}


def _optional_token(document: dict[str, Any]) -> None:
    """A token that health operations accept and do not require."""
    document["components"]["securitySchemes"] = {
        "healthToken": {"type": "http", "scheme": "bearer"}
    }
    for item in document["paths"].values():
        for method in ("get", "head"):
            if "health" in item[method]["x-openapi-router-controller"]:
                item[method]["security"] = [{}, {"healthToken": []}]


def _required_token(document: dict[str, Any]) -> None:
    """A token that the readiness probe now demands."""
    document["components"]["securitySchemes"] = {
        "healthToken": {"type": "http", "scheme": "bearer"}
    }
    document["paths"]["/health/ready"]["get"]["security"] = [{"healthToken": []}]


def _nothing(document: dict[str, Any]) -> None:
    pass


BREAKING: list[tuple[str, Change]] = [
    ("a removed response field", _remove_smoke_message),
    ("a response enum widened", _health_statuses("pass", "warn", "fail", "degraded")),
    ("a removed operation", _remove_legacy_smoke_test),
    ("a required security requirement added", _required_token),
]
COMPATIBLE: list[tuple[str, Change]] = [
    ("a new optional response field", _add_uptime),
    ("a response enum narrowed (fewer values to handle)", _health_statuses("pass", "fail")),
    ("response headers added", _deprecation_headers),
    ("a response given one more oneOf alternative", _health_one_of),
    ("an optional security requirement added", _optional_token),
    ("nothing", _nothing),
]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose HEAD holds this contract."""
    shutil.copytree(OPENAPI_DIR, tmp_path / "openapi")
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", "openapi")
    _git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def _change(repo: Path, change: Change) -> None:
    path = repo / "openapi" / "petsage.yaml"
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _contract_diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.parametrize(("change", "edit"), BREAKING, ids=[case[0] for case in BREAKING])
def test_breaking_change_fails(repo: Path, change: str, edit: Change) -> None:
    """A change that breaks a consumer exits 1 and says which document broke."""
    _change(repo, edit)
    result = _contract_diff(repo, "HEAD")
    assert result.returncode == 1, result.stdout + result.stderr
    # management.yaml takes its health operations from petsage.yaml: a break there may break both.
    broken = result.stderr.partition("breaking changes since HEAD: ")[2].split("\n")[0]
    assert "petsage.yaml" in broken.split(", "), result.stderr


@pytest.mark.parametrize(("change", "edit"), COMPATIBLE, ids=[case[0] for case in COMPATIBLE])
def test_compatible_change_passes(repo: Path, change: str, edit: Change) -> None:
    """An additive change, or one that only narrows what responses may hold, exits 0."""
    _change(repo, edit)
    result = _contract_diff(repo, "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr


def _release(repo: Path, tag: str | None) -> str:
    """Commit the contract as a release, tagged ``tag`` (or not), recorded in .ci/last-release."""
    (repo / ".ci").mkdir(exist_ok=True)
    commit = _git(repo, "rev-parse", "HEAD")
    (repo / ".ci" / "last-release").write_text(f"# the last release\nv9.9.9 {commit}\n")
    if tag:
        _git(repo, "tag", "-a", tag, "-m", tag)
    _git(repo, "add", ".ci")
    _git(repo, "commit", "-qm", "recorded")
    return commit


def test_without_base_it_compares_with_the_newest_release_tag(repo: Path) -> None:
    """With no BASE, the base is the newest v* tag reachable from HEAD; a break since it fails."""
    _release(repo, "v1.0.0")
    _change(repo, _remove_legacy_smoke_test)
    result = _contract_diff(repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "comparing with the last release, v1.0.0" in result.stderr
    assert "breaking changes since v1.0.0: " in result.stderr


def test_without_a_tag_it_compares_with_the_recorded_release(repo: Path) -> None:
    """A clone with no tag compares with the commit .ci/last-release names, and finds the break."""
    commit = _release(repo, None)
    _change(repo, _remove_legacy_smoke_test)
    result = _contract_diff(repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"breaking changes since {commit}: " in result.stderr


def test_without_tag_or_recorded_commit_it_fails_and_says_why(repo: Path) -> None:
    """When the clone has neither (a shallow, tag-less one), the check fails; it never skips."""
    _release(repo, None)
    missing = "0" * 40
    (repo / ".ci" / "last-release").write_text(f"v9.9.9 {missing}\n")
    result = _contract_diff(repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"names commit {missing} (v9.9.9), which this clone does not have" in result.stderr
