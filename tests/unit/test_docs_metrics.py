from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import REGISTRY

import petsage.metrics  # noqa: F401 - registers the series

METRICS_DOC = Path(__file__).parents[2] / "docs" / "management-and-metrics.md"


def test_the_docs_list_every_petsage_series() -> None:
    """The metrics table of docs/management-and-metrics.md names exactly the petsage_* series
    the service exposes."""
    section = METRICS_DOC.read_text().partition("## Metrics")[2].partition("\n## ")[0]
    listed = set(re.findall(r"^\| `(petsage_[a-z_]+)`", section, re.MULTILINE))
    exposed = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in REGISTRY.collect()
        if family.name.startswith("petsage_")
    }
    assert listed == exposed
