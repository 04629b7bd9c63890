"""The contract in ``openapi/``: where it lives, each document parsed once, and what it fixes."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

API_DOCUMENT = "petsage.yaml"
ROOT_DOCUMENT = "root.yaml"


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
