"""What the deployment files say, read the way the tests need it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

from tests.conftest import load_spec

ROOT = Path(__file__).parents[2]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
K8S_DIR = ROOT / "deploy" / "k8s"


def kustomization() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    return document


def resources() -> list[dict[str, Any]]:
    """Every manifest of every file the kustomization lists, in order."""
    return [
        document
        for name in kustomization()["resources"]
        for document in yaml.safe_load_all((K8S_DIR / name).read_text())
        if document
    ]


def resource(kind: str) -> dict[str, Any]:
    """The one manifest of ``kind`` in the base."""
    (found,) = (document for document in resources() if document["kind"] == kind)
    return found


def pod_spec() -> dict[str, Any]:
    spec: dict[str, Any] = resource("Deployment")["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:
    """The petsage container of the Deployment."""
    found: list[dict[str, Any]] = [c for c in pod_spec()["containers"] if c["name"] == "petsage"]
    (petsage,) = found
    return petsage


def container_env() -> dict[str, str]:
    return {variable["name"]: variable["value"] for variable in container()["env"]}


def container_port(name: str) -> dict[str, Any]:
    """The container port called ``name`` (``http``, ``management``)."""
    (found,) = (port for port in container()["ports"] if port["name"] == name)
    port: dict[str, Any] = found
    return port


def api_paths(document: str = "petsage.yaml") -> set[str]:
    """Every path a document of the contract serves, with its servers' prefix in front."""
    spec = load_spec(document)
    return {
        server["url"].rstrip("/") + path for server in spec["servers"] for path in spec["paths"]
    }


def containerfile() -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO(CONTAINERFILE.read_bytes()))
