"""The wheel the Containerfile builds carries the contract and serves from outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from petsage import __version__
from petsage.testing import running_server
from tests.deploy.conftest import ROOT


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel .` builds, offline (hatchling is a test dependency)."""
    out = tmp_path_factory.mktemp("wheel")
    _pip(
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        str(out),
        str(ROOT),
    )
    (built,) = out.glob("petsage-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Python that imports petsage from the installed wheel, not the checkout.

    Its dependencies are the ones this environment already has: no index is asked.
    """
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel))
    # PYTHONSAFEPATH keeps the working directory (the checkout) off sys.path; PYTHONPATH goes before
    # site-packages, where the editable install points at the checkout.
    return {"PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}


def test_wheel_carries_the_contract_inside_the_package(wheel: Path) -> None:
    """petsage/openapi/petsage.yaml and root.yaml are in the wheel, byte for byte the files."""
    with zipfile.ZipFile(wheel) as archive:
        for name in ("petsage.yaml", "root.yaml"):
            assert archive.read(f"petsage/openapi/{name}") == (ROOT / "openapi" / name).read_bytes()


def test_installed_wheel_reads_the_contract_from_the_package(installed: dict[str, str]) -> None:
    """Installed, petsage imports from the wheel and finds the contract beside its modules."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import petsage.contract as c; print(c.__file__); print(c.spec_dir())",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **installed},
        check=True,
    )
    module_file, spec_dir = result.stdout.split()
    site = installed["PYTHONPATH"]
    assert module_file.startswith(site), module_file
    assert spec_dir == str(Path(site, "petsage", "openapi"))


def test_installed_wheel_serves_the_smoke_test_and_its_contract(installed: dict[str, str]) -> None:
    """`petsage serve` from the installed wheel answers the smoke test and openapi.json."""
    with running_server("--log-level", "warning", env=installed) as server:
        api = f"{server.base_url}/api/v1"
        with urllib.request.urlopen(f"{api}/smoke-test", timeout=5) as response:
            assert json.load(response)["status"] == "ok"
        with urllib.request.urlopen(f"{api}/openapi.json", timeout=5) as response:
            assert json.load(response)["info"]["version"] == __version__
