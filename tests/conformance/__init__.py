"""The conformance contract: every shape the platform promises a contract can declare, served
with plain handlers (``handlers``) over an in-memory service (``visits``). Not a PetSage API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")


def conformance_document() -> dict[str, Any]:
    """The conformance contract as written (``$ref``s kept), a fresh copy on each call."""
    document: dict[str, Any] = yaml.safe_load(DOCUMENT_PATH.read_text())
    return document
