"""The kustomize base in deploy/k8s/: valid for Kubernetes, and consistent with the service."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from petsage import __version__
from petsage.health.config import load_health_config
from petsage.settings import Settings, variable
from tests.deploy.conftest import (
    K8S_DIR,
    api_paths,
    container,
    container_env,
    container_port,
    kustomization,
    pod_spec,
    resource,
    resources,
)

# The oldest minor release the Kubernetes project still supports when this was written: a base that
# validates here is accepted by every supported cluster. kubernetes-validate ships its schemas.
KUBERNETES_VERSION = "1.35"
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def test_kustomization_applies_every_file_in_the_base() -> None:
    """No manifest or config file in deploy/k8s/ is left out of the kustomization (its
    components, in their own directory, are an overlay's to add)."""
    base = kustomization()
    listed = {*base["resources"]}
    listed |= {name for generator in base["configMapGenerator"] for name in generator["files"]}
    on_disk = {path.name for path in K8S_DIR.iterdir() if path.is_file()} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize(
    "manifest", resources(), ids=lambda m: f"{m['kind']}/{m['metadata']['name']}"
)
def test_manifest_validates_against_the_pinned_kubernetes_schema(manifest: dict[str, Any]) -> None:
    """Every manifest passes kubernetes-validate in strict mode (no unknown field), offline."""
    validated = kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    assert validated == KUBERNETES_VERSION


def test_validation_rejects_a_misspelt_field() -> None:
    """The strict validation above would catch a typo: a misspelt probe field is an error."""
    deployment = copy.deepcopy(resource("Deployment"))
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    probe["periodSecond"] = probe.pop("periodSeconds")
    with pytest.raises(kubernetes_validate.ValidationError, match="periodSecond"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_deployment_runs_at_least_two_replicas_and_the_autoscaler_keeps_them() -> None:
    """Two pods at least, so one can restart while the other serves; the HPA scales on CPU."""
    assert resource("Deployment")["spec"]["replicas"] >= 2
    hpa = resource("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == resource("Deployment")["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    assert [metric["resource"]["name"] for metric in hpa["spec"]["metrics"]] == ["cpu"]
    # The HPA computes CPU utilisation against the request: without one it cannot scale.
    assert container()["resources"]["requests"]["cpu"]


def test_every_selector_selects_the_deployments_pods() -> None:
    """The Service and the PodDisruptionBudget select exactly the labels the pods carry."""
    pod_labels = resource("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert resource("Deployment")["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert resource("Service")["spec"]["selector"].items() <= pod_labels.items()
    assert resource("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= (
        pod_labels.items()
    )


@pytest.mark.parametrize("probe", PROBES)
def test_probe_path_is_an_operation_of_the_management_listener(probe: str) -> None:
    """Each probe asks a path openapi/management.yaml declares."""
    assert container()[probe]["httpGet"]["path"] in api_paths("management.yaml")


@pytest.mark.parametrize("probe", PROBES)
def test_probe_port_is_the_management_port(probe: str) -> None:
    """Each probe asks the management container port (by name or number): a saturated main
    port cannot make the kubelet's probes time out."""
    port = container()[probe]["httpGet"]["port"]
    management = container_port("management")
    assert port in (management["name"], management["containerPort"])


def test_container_ports_are_the_ports_petsage_listens_on() -> None:
    """The http and management containerPorts are PETSAGE_PORT and PETSAGE_MANAGEMENT_PORT, and
    PETSAGE_HOST is every interface, not loopback; one worker, as a management port needs."""
    env = container_env()
    assert container_port("http")["containerPort"] == int(env["PETSAGE_PORT"])
    assert container_port("management")["containerPort"] == int(env["PETSAGE_MANAGEMENT_PORT"])
    assert env["PETSAGE_HOST"] == "0.0.0.0"
    assert env["PETSAGE_WORKERS"] == "1"


def test_prometheus_annotations_name_the_management_port_and_metrics_path() -> None:
    """The pod's prometheus.io annotations point at /metrics on the management port."""
    annotations = resource("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == container_port("management")["containerPort"]
    assert annotations["prometheus.io/path"] in api_paths("management.yaml")


def test_service_targets_the_http_port_only() -> None:
    """The Service forwards to the container's http port; the management port stays off it."""
    http_port = container_port("http")
    (service_port,) = resource("Service")["spec"]["ports"]
    assert service_port["targetPort"] in (http_port["name"], http_port["containerPort"])


def test_grace_period_covers_the_drain_and_the_graceful_timeout() -> None:
    """The kubelet waits longer than drain + graceful timeout before SIGKILL."""
    env = container_env()
    drain = float(env["PETSAGE_DRAIN_SECONDS"])
    graceful = float(env["PETSAGE_GRACEFUL_TIMEOUT"])
    assert pod_spec()["terminationGracePeriodSeconds"] > drain + graceful


def test_readiness_fails_within_the_drain() -> None:
    """During the drain the kubelet sees readiness fail before the listener closes."""
    readiness = container()["readinessProbe"]
    noticed_after = readiness["periodSeconds"] * readiness["failureThreshold"]
    assert noticed_after < float(container_env()["PETSAGE_DRAIN_SECONDS"])


def test_liveness_does_not_run_the_dependency_checks() -> None:
    """Liveness and startup ask the process only: a failing dependency never restarts pods."""
    assert container()["livenessProbe"]["httpGet"]["path"] == "/api/v1/health/live"
    assert container()["startupProbe"]["httpGet"]["path"] == "/api/v1/health/live"
    assert container()["readinessProbe"]["httpGet"]["path"] == "/api/v1/health/ready"


def test_container_has_requests_and_limits() -> None:
    """CPU and memory are requested and limited, so the pod is scheduled and bounded."""
    limits = container()["resources"]
    assert {"cpu", "memory"} <= limits["requests"].keys()
    assert {"cpu", "memory"} <= limits["limits"].keys()


def test_pod_runs_unprivileged_on_a_read_only_root() -> None:
    """Non-root, read-only root filesystem, no privilege escalation, every capability dropped."""
    assert pod_spec()["securityContext"]["runAsNonRoot"] is True
    assert pod_spec()["securityContext"]["runAsUser"] != 0
    security = container()["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def test_tmp_is_the_only_writable_mount() -> None:
    """With a read-only root, /tmp is an emptyDir and every other mount is read-only."""
    volumes = {volume["name"]: volume for volume in pod_spec()["volumes"]}
    for mount in container()["volumeMounts"]:
        if mount["mountPath"] == "/tmp":  # noqa: S108 - the pod's own emptyDir
            assert "emptyDir" in volumes[mount["name"]]
        else:
            assert mount["readOnly"] is True, mount


def test_health_config_is_mounted_where_petsage_config_points() -> None:
    """PETSAGE_CONFIG names the generated ConfigMap's TOML file inside its mount."""
    (generator,) = kustomization()["configMapGenerator"]
    (file_name,) = generator["files"]
    volumes = {volume["name"]: volume for volume in pod_spec()["volumes"]}
    (mount,) = (
        mount
        for mount in container()["volumeMounts"]
        if volumes[mount["name"]].get("configMap", {}).get("name") == generator["name"]
    )
    assert container_env()["PETSAGE_CONFIG"] == f"{mount['mountPath']}/{file_name}"


def test_health_config_loads_as_petsage_serve_loads_it() -> None:
    """The shipped health.toml passes the loader `petsage serve` runs before serving, so a bad
    ConfigMap fails CI instead of crash-looping pods."""
    config = load_health_config(K8S_DIR / "health.toml")
    assert config.health.checks == []


def test_health_config_example_in_its_comments_loads(tmp_path: Path) -> None:
    """The commented example check, uncommented, is a valid configuration too."""
    text = (K8S_DIR / "health.toml").read_text()
    example = text.split("entries such as:\n", 1)[1].split("\n[health]", 1)[0]
    lines = [line.removeprefix("#").removeprefix(" ") for line in example.splitlines()]
    path = tmp_path / "health.toml"
    path.write_text("\n".join(lines))
    (check,) = load_health_config(path).health.checks
    assert (check.name, check.type) == ("pet-db", "tcp")


def test_image_tag_is_the_package_version() -> None:
    """The base deploys the image built from this version of the package."""
    (image,) = kustomization()["images"]
    assert image["name"] == container()["image"]
    assert image["newTag"] == __version__


def test_every_petsage_variable_of_the_pod_is_a_setting() -> None:
    """Each PETSAGE_* variable the Deployment sets is read by a setting (none is ignored)."""
    known = {variable(field) for field in Settings.model_fields}
    assert {name for name in container_env() if name.startswith("PETSAGE_")} <= known
