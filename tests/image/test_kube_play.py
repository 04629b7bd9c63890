"""`podman kube play` of what `kubectl kustomize deploy/k8s` renders: the pod serves, with the
manifest's security context, limits, environment and generated ConfigMap."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from petsage.testing import free_port
from tests.deploy.conftest import K8S_DIR, pod_spec
from tests.image.conftest import (
    SMOKE,
    Container,
    can_write,
    cgroup_limits,
    get,
    manifest_limits,
    podman,
    process_status,
    wait_until_answering,
)
from tests.live.exposure import anonymous_answers, leaks

pytestmark = pytest.mark.image

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _rendered() -> list[dict[str, Any]]:
    """The manifests `kubectl kustomize deploy/k8s` renders (the ConfigMap generated, named with
    its hash, the image tag set)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("IMAGE: kubectl is missing: `make image-test` installs it", pytrace=False)
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@dataclass(frozen=True)
class Played:
    container: Container
    spec: dict[str, Any]  # the petsage container as rendered
    host_ports: dict[str | int, int]  # container port, by name and by number -> loopback port

    def url_port(self, probe: str) -> int:
        return self.host_ports[self.spec[probe]["httpGet"]["port"]]


@pytest.fixture(scope="module")
def played(
    image: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, figures: dict[str, Any]
) -> Iterator[Played]:
    """The rendered base played by podman, with two changes this machine needs: one replica
    (podman runs each replica as a pod, and one loopback port cannot serve two), and each container
    port published on a free port of 127.0.0.1 (hostIP, hostPort)."""
    documents = _rendered()
    (deployment,) = (document for document in documents if document["kind"] == "Deployment")
    deployment["spec"]["replicas"] = 1
    (spec,) = (
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "petsage"
    )
    host_ports: dict[str | int, int] = {}
    for port in spec["ports"]:
        port.update(hostIP="127.0.0.1", hostPort=free_port())
        host_ports[port["containerPort"]] = port["hostPort"]
        host_ports[port.get("name", port["containerPort"])] = port["hostPort"]
    played_file = tmp_path_factory.mktemp("kube") / "petsage.yaml"
    played_file.write_text(yaml.safe_dump_all(documents))
    start = time.monotonic()
    result = podman("kube", "play", str(played_file))
    try:
        lines = result.stdout.splitlines()
        container_id = lines[lines.index("Container:") + 1]
        http_port = host_ports["http"]
        wait_until_answering(http_port, SMOKE)
        figures["kube_play"] = {
            "command": "podman kube play <kubectl kustomize deploy/k8s: 1 replica, hostPort>",
            "output": result.stdout.strip(),
            "start_to_first_200_seconds": round(time.monotonic() - start, 2),
        }
        yield Played(Container(container_id, http_port, time.monotonic() - start), spec, host_ports)
    finally:
        podman("kube", "down", str(played_file), check=False)
        # kube down keeps the volumes kube play made of the ConfigMaps.
        for document in documents:
            if document["kind"] == "ConfigMap":
                podman("volume", "rm", "--force", document["metadata"]["name"], check=False)


def test_pod_serves_the_smoke_test_and_every_probe(played: Played) -> None:
    """The smoke test answers on the `http` port, and each probe's path on the probe's port."""
    smoke = get(played.container.port, SMOKE)
    assert (smoke.status, smoke.json()["status"]) == (200, "ok")
    for probe in PROBES:
        answer = get(played.url_port(probe), played.spec[probe]["httpGet"]["path"])
        assert answer.status == 200, (probe, answer.body)


def test_pod_reads_the_generated_configmap_where_petsage_config_points(played: Played) -> None:
    """The container sees the manifest's environment, and PETSAGE_CONFIG names a file holding
    deploy/k8s/health.toml, mounted from the ConfigMap kustomize generated."""
    environment = json.loads(
        played.container.run(
            "python", "-c", "import json, os; print(json.dumps(dict(os.environ)))"
        ).stdout
    )
    for variable in played.spec["env"]:
        assert environment[variable["name"]] == variable["value"], variable
    mounted = played.container.run("cat", environment["PETSAGE_CONFIG"]).stdout
    assert mounted == (K8S_DIR / "health.toml").read_text()


def test_pod_runs_with_the_manifests_security_context(played: Played) -> None:
    """runAsUser and runAsGroup, no capability, no privilege escalation, the runtime's default
    seccomp filter, a read-only root with /tmp writable."""
    security = pod_spec()["securityContext"]
    status = process_status(played.container)
    assert status["Uid"].split()[0] == str(security["runAsUser"])
    assert status["Gid"].split()[0] == str(security["runAsGroup"])
    assert int(status["CapEff"], 16) == int(status["CapPrm"], 16) == 0
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"  # a filter is in force
    assert not can_write(played.container, "/")
    assert not can_write(played.container, "/etc/petsage")
    assert can_write(played.container, "/tmp")  # noqa: S108 - the pod's emptyDir


def test_pod_is_held_to_the_manifests_limits(played: Played) -> None:
    """The pod's cgroup enforces the container's memory and CPU limits."""
    assert cgroup_limits(played.container) == manifest_limits()


def test_anonymous_callers_of_the_pods_http_port_learn_nothing_the_management_port_tells(
    played: Played,
) -> None:
    """As deployed: on the `http` port (the Service's) no public answer holds a check's name, an
    observed value or a process metric, and /metrics is 404; the `management` port, which the
    probes and Prometheus ask, has the full readiness document and the metrics."""
    answers = anonymous_answers(f"http://127.0.0.1:{played.host_ports['http']}")
    assert leaks(answers, ()) == []
    assert answers["/metrics"][0] == 404
    management = played.host_ports["management"]
    ready = get(management, "/api/v1/health/ready")
    assert (ready.status, sorted(ready.json()["checks"])) == (
        200,
        ["event-loop:lag", "memory:rss", "shutdown"],
    )
    metrics = get(management, "/metrics")
    assert metrics.status == 200
    assert b"petsage_health_check_status" in metrics.body
