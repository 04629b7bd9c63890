"""The contract in ``openapi/``: where it lives, each document parsed once, and what it fixes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
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
    return document_base_path(load_document(name))


def document_base_path(document: Mapping[str, Any]) -> str:
    """The path every operation of ``document`` is under: its first server's URL (``/`` when it
    names none, as OpenAPI says)."""
    servers = document.get("servers") or [{"url": "/"}]
    return str(servers[0]["url"]).rstrip("/")


# The keys of a path item that name an operation (OpenAPI 3.0); the others are ``parameters``,
# ``summary``, ``description``, ``servers``, ``$ref`` and extensions.
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def path_items(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, path item) of every path of ``document``; a path item that is a ``$ref`` into
    another document of the contract (``petsage.yaml#/paths/~1health~1live``) is that item."""
    for path, item in document["paths"].items():
        yield path, _resolved(item, document)


def operations(item: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(method, operation) of every operation of a path item, in OpenAPI's order of methods."""
    for method in METHODS:
        if method in item:
            yield method, item[method]


def _resolved(item: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = item.get("$ref")
    if reference is None:
        return item
    name, _, pointer = str(reference).partition("#")
    target: Any = load_document(name) if name else document
    for part in pointer.strip("/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    resolved: Mapping[str, Any] = target
    return resolved


def load_text(name: str = API_DOCUMENT) -> bytes:
    """One document of the contract, byte for byte."""
    return (spec_dir() / name).read_bytes()


# The operations monitoring calls (smoke test, health probes, metrics) carry this tag.
MONITORING_TAG = "System Health"


def _monitoring_operations() -> list[tuple[str, Mapping[str, Any]]]:
    # (path under its document's base path, operation) of every operation with the tag.
    return [
        (base_path(name) + path, operation)
        for name in (ROOT_DOCUMENT, API_DOCUMENT)
        for path, item in path_items(load_document(name))
        for _, operation in operations(item)
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
    alternatives = (template_pattern(template) for template in _monitoring_templates())
    return re.compile("|".join(alternatives).encode())


def template_pattern(template: str) -> str:
    """A regular expression that a path of ``template`` matches in full: a path parameter
    (``{check}``) matches one segment, as Connexion routes it."""
    return re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
