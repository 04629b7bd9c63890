"""The image of `make image`, run by podman as the pod of deploy/k8s runs it.

Nothing here skips: where podman cannot run or the image is not built, every test fails and says
why. Podman is run through deploy/image/podman, the engine settings the build uses too.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from petsage import __version__
from petsage.testing import free_port
from tests.deploy.conftest import ROOT, container, pod_spec

PODMAN = ROOT / "deploy" / "image" / "podman"
IMAGE = f"localhost/petsage:{__version__}"
FIGURES = ROOT / "test-artifacts" / "image.json"
SMOKE = "/api/v1/smoke-test"
LIVE = "/api/v1/health/live"
READY = "/api/v1/health/ready"
# The most a start may take before the container counts as not serving: a bound, not a target.
START_TIMEOUT = 60.0


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run deploy/image/podman; with ``check``, a failure is an error quoting its output."""
    result = subprocess.run(
        [str(PODMAN), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def get(port: int, path: str, timeout: float = 10) -> Answer:
    """GET ``path`` on 127.0.0.1:``port``, one request on its own connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def wait_until_answering(port: int, path: str, timeout: float = START_TIMEOUT) -> float:
    """Seconds until ``path`` first answers 200; an error after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if get(port, path, timeout=2).status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"nothing answered 200 on 127.0.0.1:{port}{path} within {timeout} s")


@dataclass(frozen=True)
class Container:
    """A running container: its name or id, and the loopback port its HTTP port is published on."""

    name: str
    port: int
    started_in: float

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``command`` inside the container, as its own user, with its limits and capabilities."""
        return podman("exec", self.name, *command, check=check)

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr


def _bytes(quantity: str) -> int:
    """A Kubernetes memory quantity (256Mi, 1Gi, 500M, 1048576) in bytes."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity.removesuffix(suffix)) * factor
    return int(quantity)


def _cpus(quantity: str) -> float:
    """A Kubernetes CPU quantity (1, 500m) in CPUs."""
    return int(quantity.removesuffix("m")) / 1000 if quantity.endswith("m") else float(quantity)


def manifest_limits() -> tuple[int, float]:
    """The memory (bytes) and CPU limits of the Deployment's container."""
    limits = container()["resources"]["limits"]
    return _bytes(limits["memory"]), _cpus(limits["cpu"])


def pod_like_options() -> list[str]:
    """`podman run` options for what deploy/k8s has the kubelet do: runAsUser and runAsGroup, a
    read-only root with /tmp the only writable place (its emptyDir's size), every capability
    dropped, no privilege escalation, the memory and CPU limits."""
    security = pod_spec()["securityContext"]
    (tmp,) = (volume for volume in pod_spec()["volumes"] if volume["name"] == "tmp")
    memory, cpus = manifest_limits()
    return [
        f"--user={security['runAsUser']}:{security['runAsGroup']}",
        "--read-only",
        "--read-only-tmpfs=false",
        f"--tmpfs=/tmp:rw,nosuid,nodev,size={_bytes(tmp['emptyDir']['sizeLimit'])}",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        f"--memory={memory}",
        f"--cpus={cpus}",
    ]


@pytest.fixture(scope="session")
def image() -> dict[str, Any]:
    """`podman image inspect` of the image `make image` built; a loud failure without it."""
    info = podman("info", check=False)
    if info.returncode != 0:
        pytest.fail(f"IMAGE: podman cannot run here:\n{info.stderr}", pytrace=False)
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.fail(f"IMAGE: {IMAGE} is not built: run `make image`", pytrace=False)
    inspected: dict[str, Any] = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    return inspected


@pytest.fixture(scope="session")
def figures() -> Iterator[dict[str, Any]]:
    """What the run measured, written to test-artifacts/image.json at the end."""
    measured: dict[str, Any] = {"image": IMAGE}
    yield measured
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps(measured, indent=2) + "\n")


@contextmanager
def running_container(
    image: dict[str, Any],
    name: str,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[Container]:
    """The image run detached with the pod's options, ``options`` and ``env``, its HTTP port
    published on a free loopback port; the block starts once the smoke test answers, and the
    container is removed after."""
    env = env or {}
    image_env = dict(item.split("=", 1) for item in image["Config"]["Env"])
    container_port = env.get("PETSAGE_PORT", image_env["PETSAGE_PORT"])
    port = free_port()
    start = time.monotonic()
    podman(
        "run",
        "--detach",
        f"--name={name}",
        *pod_like_options(),
        *options,
        f"--publish=127.0.0.1:{port}:{container_port}",
        *(f"--env={key}={value}" for key, value in env.items()),
        IMAGE,
    )
    try:
        wait_until_answering(port, SMOKE)
        yield Container(name, port, started_in=time.monotonic() - start)
    finally:
        podman("rm", "--force", "--time=0", name, check=False)


def process_status(target: Container) -> dict[str, str]:
    """/proc/1/status of the container (its petsage process), field by field."""
    lines = target.run("cat", "/proc/1/status").stdout.splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def can_write(target: Container, directory: str) -> bool:
    """Whether the container's user can create a file in ``directory``."""
    script = f"import tempfile; tempfile.TemporaryFile(dir={directory!r})"
    return target.run("python", "-c", script, check=False).returncode == 0


_CGROUP_LIMITS = """
import pathlib
v2 = pathlib.Path("/sys/fs/cgroup/memory.max")
if v2.exists():
    memory = v2.read_text().strip()
    quota, period = pathlib.Path("/sys/fs/cgroup/cpu.max").read_text().split()
else:
    memory = pathlib.Path("/sys/fs/cgroup/memory/memory.limit_in_bytes").read_text().strip()
    quota = pathlib.Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text().strip()
    period = pathlib.Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text().strip()
print(memory, int(quota) / int(period))
"""


def cgroup_limits(target: Container) -> tuple[int, float]:
    """The memory (bytes) and CPU limits the container's cgroup enforces, read from inside."""
    memory, cpus = target.run("python", "-c", _CGROUP_LIMITS).stdout.split()
    return int(memory), float(cpus)
