"""docs/configuration.md's settings table stays true to the settings' one declaration."""

from __future__ import annotations

import pytest

from petsage.flags import default_text, flag
from petsage.settings import Settings, variable
from tests.conftest import doc_section, table_rows

CONFIGURATION = "docs/configuration.md"


@pytest.mark.parametrize("field", list(Settings.model_fields))
def test_configuration_table_has_a_true_row_per_setting(field: str) -> None:
    """Every setting has a row in the settings table of docs/configuration.md with its variable,
    its flag and its default."""
    rows = table_rows(doc_section(CONFIGURATION, "## Settings"))
    assert f"`{variable(field)}`" in rows, f"no row in {CONFIGURATION} for {variable(field)}"
    given_flag, default, _meaning = rows[f"`{variable(field)}`"]
    assert given_flag == f"`{flag(field)}`"
    assert default.startswith(f"`{default_text(Settings.model_fields[field])}`")


def test_configuration_table_names_no_setting_that_does_not_exist() -> None:
    """No row of the configuration table is left over from a setting that is gone."""
    rows = table_rows(doc_section(CONFIGURATION, "## Settings"))
    known = {f"`{variable(field)}`" for field in Settings.model_fields}
    assert {name for name in rows if name.startswith("`PETSAGE_")} == known
