"""The contract in ``openapi/``: where it lives, each document parsed once, and what it fixes."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

API_DOCUMENT = "petsage.yaml"
ROOT_DOCUMENT = "root.yaml"
MANAGEMENT_DOCUMENT = "management.yaml"


def spec_dir() -> Path:
    """Where the contract lives: inside an installed wheel, or ``openapi/`` in a source checkout."""
    packaged = Path(__file__).with_name("openapi")
    return packaged if packaged.is_dir() else Path(__file__).parents[1] / "openapi"


@cache
def load_document(name: str = API_DOCUMENT) -> dict[str, Any]:
    """One document of the contract as written (``$ref``s kept), parsed with the C loader."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(load_text(name), Loader=loader)  # noqa: S506 - a safe loader
    return document


def base_path(name: str = API_DOCUMENT) -> str:
    """The path every operation of a document is under: its first server's URL."""
    return str(load_document(name)["servers"][0]["url"]).rstrip("/")


def load_text(name: str = API_DOCUMENT) -> bytes:
    """One document of the contract, byte for byte."""
    return (spec_dir() / name).read_bytes()


# The operations monitoring calls (smoke test, health probes, metrics) carry this tag.
MONITORING_TAG = "System Health"


def _monitoring_operations() -> list[tuple[str, dict[str, Any]]]:
    # (path under its document's base path, operation) of every operation with the tag.
    return [
        (base_path(name) + path, operation)
        for name in (ROOT_DOCUMENT, API_DOCUMENT)
        for path, item in load_document(name)["paths"].items()
        for operation in item.values()
        if MONITORING_TAG in operation.get("tags", ())
    ]


def monitoring_operation_ids() -> frozenset[str]:
    """The ``operationId`` of every operation tagged ``System Health`` (smoke test, health,
    metrics): what monitoring calls every few seconds."""
    return frozenset(operation["operationId"] for _, operation in _monitoring_operations())


def _monitoring_templates() -> list[str]:
    return list(dict.fromkeys(path for path, _ in _monitoring_operations()))


@cache
def monitoring_paths() -> re.Pattern[bytes]:
    """What the path of an operation tagged ``System Health`` (smoke test, health, metrics)
    matches in full; a path parameter (``{check}``) matches one segment, as Connexion routes it."""
    alternatives = (
        re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        for template in _monitoring_templates()
    )
    return re.compile("|".join(alternatives).encode())
