"""docs/health-checks.md stays true: its example loads, every check type is listed."""

from __future__ import annotations

import re
from pathlib import Path

from petsage.health.check_types import CHECK_TYPES
from petsage.health.config import load_health_config

HEALTH_CHECKS = (Path(__file__).parents[2] / "docs" / "health-checks.md").read_text()


def test_the_example_configuration_loads_and_uses_every_type(tmp_path: Path) -> None:
    """The `petsage.toml` of docs/health-checks.md is valid and has a table of each check type."""
    (example,) = re.findall(r"```toml\n(# petsage\.toml.*?)```", HEALTH_CHECKS, re.DOTALL)
    secret = tmp_path / "pet-db-password"
    secret.write_text("pw\n")
    path = tmp_path / "petsage.toml"
    path.write_text(example.replace("/etc/petsage/secrets/pet-db-password", str(secret)))
    checks = load_health_config(path).health.checks
    assert sorted({check.type for check in checks}) == sorted(CHECK_TYPES)


def test_every_check_type_has_a_row_in_the_types_table() -> None:
    """The "Check types" table has one row per type the configuration accepts, and no other."""
    section = HEALTH_CHECKS.split("## Check types", 1)[1].split("\n\n**", 1)[0]
    rows = re.findall(r"^\| `([a-z]+)` \|", section, re.MULTILINE)
    assert rows[1:] == list(CHECK_TYPES)  # the first is the header's `type`
