from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import REGISTRY

import petsage.metrics  # noqa: F401 - registers the series

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_lists_every_petsage_series() -> None:
    """The README's metrics table names exactly the petsage_* series the service exposes."""
    section = README.read_text().partition("## Metrics")[2].partition("\n## ")[0]
    listed = set(re.findall(r"^\| `(petsage_[a-z_]+)`", section, re.MULTILINE))
    exposed = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in REGISTRY.collect()
        if family.name.startswith("petsage_")
    }
    assert listed == exposed
