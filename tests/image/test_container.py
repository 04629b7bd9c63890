"""The image run by podman as the pod runs it: what it serves, as whom, within what; its stop."""

from __future__ import annotations

import importlib.metadata
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from tests.deploy.conftest import pod_spec
from tests.image.conftest import (
    IMAGE,
    LIVE,
    READY,
    SMOKE,
    Container,
    can_write,
    cgroup_limits,
    get,
    manifest_limits,
    podman,
    process_status,
    running_container,
)
from tests.live.exposure import anonymous_answers, leaks

pytestmark = pytest.mark.image

# Uncompressed, as the engine stores it; docs/deployment.md quotes it.
SIZE_BUDGET = 300 * 10**6
# A port that is not the image's default, as in the report of the HEALTHCHECK that asked 8000.
OTHER_PORT = "43113"
OTHER_MANAGEMENT_PORT = "43114"
SITE_PACKAGES = "/opt/petsage/lib/python3*/site-packages"


@pytest.fixture(scope="module")
def served(image: dict[str, Any], figures: dict[str, Any]) -> Iterator[Container]:
    """The image run with the pod's options and its own defaults."""
    with running_container(image, "petsage-image-test") as started:
        figures["start_to_first_200_seconds"] = round(started.started_in, 2)
        yield started


def test_image_keeps_its_healthcheck_and_probes_the_served_port(image: dict[str, Any]) -> None:
    """Built in the Docker format, the image has its HEALTHCHECK: `petsage probe` with no URL."""
    assert image["ManifestType"] == "application/vnd.docker.distribution.manifest.v2+json"
    command = image["Healthcheck"]["Test"]
    assert command[:3] == ["CMD", "petsage", "probe"]
    assert not [arg for arg in command if "://" in arg], command


def test_image_user_and_group_are_the_manifests_with_entries(
    image: dict[str, Any], served: Container
) -> None:
    """USER is 10001:10001, runAsUser:runAsGroup of the pod, and both have a name in the image."""
    security = pod_spec()["securityContext"]
    assert image["Config"]["User"] == f"{security['runAsUser']}:{security['runAsGroup']}"
    names = served.run("python", "-c", _WHO_AM_I).stdout.split()
    assert names == [str(security["runAsUser"]), str(security["runAsGroup"]), "petsage", "petsage"]


_WHO_AM_I = """
import grp, os, pwd
uid, gid = os.getuid(), os.getgid()
print(uid, gid, pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name)
"""


def test_smoke_test_liveness_and_readiness_answer_from_outside(served: Container) -> None:
    """Through the published loopback port: the smoke test, liveness and readiness answer 200."""
    smoke = get(served.port, SMOKE)
    assert (smoke.status, smoke.json()["status"]) == (200, "ok")
    for path in (LIVE, READY):
        health = get(served.port, path)
        assert health.status == 200, (path, health.body)
        assert health.headers["Content-Type"] == "application/health+json"
        assert health.json()["status"] == "pass"


def test_an_anonymous_caller_learns_nothing_of_the_checks_or_the_process(
    served: Container,
) -> None:
    """Through the published port, with the image's defaults: no public answer (probes,
    per-check paths, metrics, errors) holds a check's name, an observed value or a process
    metric; /metrics is off where there is no management listener."""
    answers = anonymous_answers(f"http://127.0.0.1:{served.port}")
    assert leaks(answers, ()) == []
    assert answers["/api/v1/health/ready"][0] == 200
    assert answers["/metrics"][0] == answers["/api/v1/health/ready/memory"][0] == 404


def test_root_is_read_only_and_tmp_the_only_writable_place(served: Container) -> None:
    """The petsage user cannot write to the root filesystem, its home or the venv; /tmp it can."""
    for directory in ("/", "/opt/petsage", "/etc", "/var/tmp"):  # noqa: S108 - inside the image
        assert not can_write(served, directory), directory
    assert can_write(served, "/tmp")  # noqa: S108 - the container's own tmpfs


def test_process_has_no_capability_and_cannot_gain_privileges(served: Container) -> None:
    """The serving process holds no capability at all, and no_new_privs is set."""
    status = process_status(served)
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[field], 16) == 0, (field, status[field])
    assert status["NoNewPrivs"] == "1"
    assert status["Uid"].split()[0] == str(pod_spec()["securityContext"]["runAsUser"])


def test_cgroup_enforces_the_manifests_memory_and_cpu_limits(served: Container) -> None:
    """Read inside the container, the memory and CPU limits are the Deployment's limits."""
    assert cgroup_limits(served) == manifest_limits()


def test_healthcheck_is_healthy_on_the_port_the_container_serves(
    image: dict[str, Any], figures: dict[str, Any]
) -> None:
    """With PETSAGE_PORT=43113 and PETSAGE_MANAGEMENT_PORT=43114, `podman healthcheck run` is
    healthy: the probe asks the management listener's port, whatever it is."""
    env = {"PETSAGE_PORT": OTHER_PORT, "PETSAGE_MANAGEMENT_PORT": OTHER_MANAGEMENT_PORT}
    with running_container(image, "petsage-image-healthcheck", env) as other:
        result = podman("healthcheck", "run", other.name, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        health = podman("inspect", "--format={{json .State.Health}}", other.name).stdout
        figures["healthcheck"] = {
            "command": f"podman healthcheck run {other.name}",
            "exit_code": result.returncode,
            "output": result.stdout.strip(),
            "state_health": health.strip(),
        }
        assert '"Status":"healthy"' in health
        assert f"127.0.0.1:{OTHER_MANAGEMENT_PORT}/api/v1/health/ready: 200 pass" in health


def test_healthcheck_is_unhealthy_when_a_critical_check_fails(
    image: dict[str, Any], tmp_path: Path
) -> None:
    """With a critical dependency unreachable, readiness is 503 and `podman healthcheck run` says
    unhealthy (exit 1): the healthcheck follows readiness."""
    config = tmp_path / "health.toml"
    config.write_text(_UNREACHABLE_DEPENDENCY)
    config.chmod(0o644)
    mounted = "/etc/petsage/health.toml"
    with running_container(
        image,
        "petsage-image-unhealthy",
        {"PETSAGE_CONFIG": mounted},
        options=(f"--volume={config}:{mounted}:ro",),
    ) as failing:
        ready = get(failing.port, READY)
        assert ready.status == 503
        # The status only: neither the failing check's name nor its reason.
        assert set(ready.json()) == {"status", "version", "releaseId", "serviceId", "description"}
        result = podman("healthcheck", "run", failing.name, check=False)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout.strip() == "unhealthy"


# Nothing listens on the discard port inside the container.
_UNREACHABLE_DEPENDENCY = """
[[health.checks]]
name = "pet-db"
type = "tcp"
target = "127.0.0.1:9"
timeout = 1.0
critical = true
"""


def test_stop_drains_within_the_grace_period_and_exits_0(
    image: dict[str, Any], figures: dict[str, Any]
) -> None:
    """`podman stop -t <grace>`: readiness turns 503 while the smoke test still answers, then the
    container exits 0 before the grace period ends."""
    grace = pod_spec()["terminationGracePeriodSeconds"]
    with running_container(image, "petsage-image-drain") as draining:
        assert get(draining.port, READY).status == 200
        stopped: dict[str, float | int] = {}

        def stop() -> None:
            start = time.monotonic()
            stopped["exit"] = podman("stop", f"--time={grace}", draining.name).returncode
            stopped["seconds"] = time.monotonic() - start

        stopper = threading.Thread(target=stop)
        stopper.start()
        deadline = time.monotonic() + grace
        while (ready := get(draining.port, READY)).status == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        smoke = get(draining.port, SMOKE)
        stopper.join(grace + 30)
        assert ready.status == 503
        # Anonymous on the public port: the status only, the reason stays with the operators.
        assert ready.json()["status"] == "fail"
        assert "output" not in ready.json()
        assert "Received SIGTERM" in draining.logs()
        assert smoke.status == 200
        assert smoke.headers["Connection"] == "close"
        assert stopped["exit"] == 0
        assert stopped["seconds"] < grace, draining.logs()
        state = podman("inspect", "--format={{.State.ExitCode}}", draining.name).stdout
        assert state.strip() == "0", draining.logs()
        assert "draining for" in draining.logs()
        figures["stop_seconds"] = round(stopped["seconds"], 2)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements_by_extra() -> dict[str, set[str]]:
    """The distributions petsage requires: "" for the runtime, else by extra."""
    metadata = importlib.metadata.metadata("petsage")
    extras = metadata.get_all("Provides-Extra") or []
    found: dict[str, set[str]] = {"": set(), **{extra: set() for extra in extras}}
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        name = _normalized(requirement.name)
        if requirement.marker is None:
            found[""].add(name)
        for extra in extras:
            if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
                found[extra].add(name)
    return found


_INSTALLED = """
import importlib.metadata
print("\\n".join(sorted({d.metadata["Name"] for d in importlib.metadata.distributions()})))
"""


def test_image_carries_the_runtime_and_check_drivers_but_no_test_tool(served: Container) -> None:
    """Every requirement of the runtime and of each extra but `test` is installed in the image;
    no test tool is, and neither is pip."""
    listed = served.run("python", "-c", _INSTALLED).stdout.split()
    installed = {_normalized(name) for name in listed}
    required = _requirements_by_extra()
    tests_only = required.pop("test") - set().union(*required.values())
    for extra, names in required.items():
        assert names <= installed, (extra or "runtime", names - installed)
    assert not tests_only & installed
    assert "pip" not in installed


def test_image_stays_within_its_size_budget(image: dict[str, Any], figures: dict[str, Any]) -> None:
    """The image is under 300 MB, and holds no build leftover (no /src, no /wheels)."""
    report = podman(
        "run",
        "--rm",
        "--entrypoint=sh",
        IMAGE,
        "-c",
        "du -x -k -d 3 / | sort -rn | head -n 25; echo --; "
        f"du -k -s {SITE_PACKAGES}/* | sort -rn | head -n 15; echo --; ls -d /src /wheels || true",
    ).stdout
    directories, packages, leftovers = report.split("--\n")
    figures["size_bytes"] = image["Size"]
    figures["du_kib_top_directories"] = directories.splitlines()
    figures["du_kib_site_packages"] = packages.splitlines()
    assert leftovers.strip() == ""
    assert image["Size"] < SIZE_BUDGET, f"{image['Size']} bytes:\n{directories}"
