"""The kustomize component deploy/k8s/components/alerts/: the rule file's groups as a
PrometheusRule, generated from it, and added to the base by an overlay."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import K8S_DIR, ROOT, resources

COMPONENT = K8S_DIR / "components" / "alerts"
RULES = ROOT / "deploy" / "prometheus" / "petsage-rules.yaml"
GENERATOR = ROOT / "tools" / "prometheus_rule.py"
# Components came with kustomize v3.7.
_KUSTOMIZE_VERSION = re.compile(r"Kustomize Version: v(\d+)\.(\d+)")


def _prometheus_rule() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((COMPONENT / "prometheusrule.yaml").read_text())
    return document


def _generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args], capture_output=True, text=True, check=False
    )


def test_prometheus_rule_is_what_the_generator_writes() -> None:
    """The committed PrometheusRule is tools/prometheus_rule.py's output for the rule file."""
    result = _generator("--check")
    assert (result.returncode, result.stderr) == (0, "")


def test_prometheus_rule_has_exactly_the_rule_files_groups() -> None:
    """Parsed, the PrometheusRule's spec is the plain rule file: the same groups, rules,
    expressions, labels and annotations."""
    rule = _prometheus_rule()
    assert (rule["apiVersion"], rule["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert rule["spec"] == yaml.safe_load(RULES.read_text())


def test_generator_check_fails_on_a_copy_that_drifted(tmp_path: Path) -> None:
    """--check is not a formality: a PrometheusRule edited by hand fails it, and a run without it
    writes the file back as it was."""
    committed = (COMPONENT / "prometheusrule.yaml").read_text()
    copy = tmp_path / "repo"
    for part in ("tools", "deploy"):
        shutil.copytree(ROOT / part, copy / part)
    drifted = copy / COMPONENT.relative_to(ROOT) / "prometheusrule.yaml"
    drifted.write_text(committed.replace("for: 5m", "for: 1m", 1))
    script = copy / GENERATOR.relative_to(ROOT)
    check = [sys.executable, str(script), "--check"]
    failed = subprocess.run(check, capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "out of date" in failed.stderr
    subprocess.run([sys.executable, str(script)], check=True)
    assert drifted.read_text() == committed


def test_component_lists_every_file_in_its_directory() -> None:
    """The component is a kustomize Component whose resources are all the files beside it."""
    kustomization = yaml.safe_load((COMPONENT / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Component"
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1alpha1"
    on_disk = {path.name for path in COMPONENT.iterdir()} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk


def _kubectl_with_components() -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the overlay is not rendered")
    version = subprocess.run(
        [kubectl, "version", "--client"], capture_output=True, text=True, check=False
    ).stdout
    found = _KUSTOMIZE_VERSION.search(version)
    if found is None or (int(found[1]), int(found[2])) < (3, 7):
        pytest.skip(f"kubectl's kustomize is older than components (v3.7): {version.strip()}")
    return kubectl


def test_an_overlay_with_the_component_renders_the_base_and_the_rules(tmp_path: Path) -> None:
    """`kubectl kustomize` of an overlay naming the base and the component renders every manifest
    of the base and the PrometheusRule, offline."""
    kubectl = _kubectl_with_components()
    base = os.path.relpath(K8S_DIR, tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [{base}]\ncomponents: [{base}/components/alerts]\n"
    )
    rendered = subprocess.run(
        [kubectl, "kustomize", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    documents = list(yaml.safe_load_all(rendered))
    kinds = sorted(document["kind"] for document in documents)
    base_kinds = [manifest["kind"] for manifest in resources()]
    assert kinds == sorted([*base_kinds, "ConfigMap", "PrometheusRule"])
    (rule,) = (document for document in documents if document["kind"] == "PrometheusRule")
    assert rule == _prometheus_rule()
