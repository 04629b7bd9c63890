"""The ``petsage`` command line."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from petsage import __version__
from petsage.testing import free_port, running_server
from tests.live.command import run_petsage


def test_version_prints_the_package_version() -> None:
    """`petsage --version` prints the version from package metadata."""
    result = run_petsage("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"petsage {__version__}"


def test_unknown_flag_is_a_usage_error() -> None:
    """An unknown option exits 2 with a usage message."""
    result = run_petsage("serve", "--colour", "blue")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: petsage")
    assert "unrecognized arguments: --colour blue" in result.stderr


def test_serve_answers_on_the_port_asked() -> None:
    """`petsage serve --port N` serves the smoke test on 127.0.0.1:N."""
    with running_server("--log-level", "warning") as server:
        url = f"http://127.0.0.1:{server.port}/api/v1/smoke-test"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200


def test_flag_beats_environment_variable() -> None:
    """--port wins over PETSAGE_PORT."""
    with running_server(env={"PETSAGE_PORT": str(free_port())}) as server:
        assert f"127.0.0.1:{server.port}" in server.log()


def test_invalid_setting_refuses_to_start_naming_the_key() -> None:
    """A bad PETSAGE_* value stops the command with exit 78 and one line naming the variable."""
    result = run_petsage("serve", env={"PETSAGE_WORKERS": "0", "PATH": ""})
    assert result.returncode == 78
    assert result.stderr.startswith("petsage: invalid settings: PETSAGE_WORKERS:")


_BROKEN_SPEC = """
openapi: 3.0.3
info: {title: broken, version: "1"}
paths:
  /x:
    get:
      operationId: no_such_module.no_such_handler
      responses:
        "200": {description: ok}
"""

_BROKEN_APP = """
from connexion import AsyncApp
app = AsyncApp(__name__)
app.add_api("spec.yaml")
"""


def test_operation_that_binds_to_nothing_fails_at_startup(tmp_path: Path) -> None:
    """With lifespan on, as `petsage serve` runs uvicorn, a bad operationId stops startup."""
    (tmp_path / "spec.yaml").write_text(_BROKEN_SPEC)
    (tmp_path / "broken_app.py").write_text(_BROKEN_APP)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "broken_app:app",
            "--app-dir",
            str(tmp_path),
            "--port",
            str(free_port()),
            "--lifespan",
            "on",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "no_such_module" in result.stderr
    assert "Application startup failed" in result.stderr


def _imported_packages(*args: str) -> set[str]:
    # `python -X importtime` names every module as it finishes importing, nested ones indented.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=60
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rpartition("|")[2].strip().partition(".")[0] for line in lines}


def test_probe_imports_only_the_standard_library() -> None:
    """`petsage probe` (a HEALTHCHECK runs it every few seconds) and `petsage --version` load only
    the stdlib and petsage, where `serve` loads the settings' pydantic."""
    at_startup = _imported_packages("-c", "pass")
    outside = at_startup | set(sys.stdlib_module_names)
    probe = _imported_packages("-m", "petsage", "probe", f"http://127.0.0.1:{free_port()}/")
    assert probe - outside == {"petsage"}
    assert _imported_packages("-m", "petsage", "--version") - outside == {"petsage"}
    assert "pydantic" in _imported_packages("-m", "petsage", "serve", "--help") - outside


def test_probe_with_a_bad_port_variable_exits_78_naming_it() -> None:
    """`PETSAGE_PORT=http petsage probe` stops with exit 78 and one line naming the variable."""
    result = run_petsage("probe", env={**os.environ, "PETSAGE_PORT": "http"})
    assert result.returncode == 78
    assert result.stderr == "petsage: invalid settings: PETSAGE_PORT: not an integer: 'http'\n"
    assert result.stdout == ""
