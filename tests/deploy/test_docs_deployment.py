"""The Kubernetes section of docs/deployment.md says what deploy/k8s does."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import doc_section, table_rows
from tests.deploy.conftest import container, kustomization

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _kubernetes_section() -> str:
    return doc_section("docs/deployment.md", "## Kubernetes")


@pytest.mark.parametrize("probe", PROBES)
def test_probe_table_matches_the_deployment(probe: str) -> None:
    """Each probe's row names the path, port, period and failure threshold the Deployment sets."""
    asks, _why = table_rows(_kubernetes_section())[f"`{probe}`"]
    found = re.fullmatch(
        r"`(?P<path>[^`]+)` on `(?P<port>[^`]+)` every (?P<period>\d+) s, (?P<tries>\d+) \w+", asks
    )
    assert found is not None, asks
    declared = container()[probe]
    assert found["path"] == declared["httpGet"]["path"]
    assert found["port"] == declared["httpGet"]["port"]
    assert int(found["period"]) == declared["periodSeconds"]
    assert int(found["tries"]) == declared["failureThreshold"]


def test_overlay_example_replaces_what_the_base_declares() -> None:
    """The documented overlay names the base's image and replaces its generated ConfigMap."""
    block = _kubernetes_section().split("```yaml\n", 1)[1].split("```", 1)[0]
    overlay = yaml.safe_load(block)
    base = kustomization()
    assert [image["name"] for image in overlay["images"]] == [i["name"] for i in base["images"]]
    (generator,) = overlay["configMapGenerator"]
    (base_generator,) = base["configMapGenerator"]
    assert generator["behavior"] == "replace"
    assert generator["name"] == base_generator["name"]
    assert generator["files"] == base_generator["files"]
