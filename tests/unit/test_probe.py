"""``petsage probe``'s default URL, read from PETSAGE_* variables with the standard library."""

from __future__ import annotations

import pytest

from petsage.contract import base_path, load_document
from petsage.probe import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    READINESS_PATH,
    ProbeConfigError,
    default_url,
)
from petsage.settings import Settings


def test_readiness_path_is_the_contracts() -> None:
    """The path probe.py spells out is the contract's readiness operation under its base path."""
    assert READINESS_PATH.removeprefix(base_path()) in load_document()["paths"]
    assert READINESS_PATH.startswith(base_path() + "/")


def test_defaults_are_the_settings_defaults() -> None:
    """With no variable set, the probe asks the address `petsage serve` listens on by default."""
    fields = Settings.model_fields
    assert (fields["host"].default, fields["port"].default) == (DEFAULT_HOST, DEFAULT_PORT)
    assert default_url({}) == f"http://127.0.0.1:8000{READINESS_PATH}"


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({"PETSAGE_PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"PETSAGE_HOST": "0.0.0.0", "PETSAGE_PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"PETSAGE_HOST": "::"}, "http://[::1]:8000"),
        ({"PETSAGE_HOST": "::1"}, "http://[::1]:8000"),
        ({"PETSAGE_HOST": "10.0.0.7"}, "http://10.0.0.7:8000"),
        ({"PETSAGE_PORT": "9000", "PETSAGE_MANAGEMENT_PORT": "9100"}, "http://127.0.0.1:9100"),
        ({"PETSAGE_MANAGEMENT_PORT": "9100"}, "http://127.0.0.1:9100"),
    ],
)
def test_default_url_follows_the_variables(environ: dict[str, str], url: str) -> None:
    """Host (a wildcard as loopback), then the management port if set, else the serving port."""
    assert default_url(environ) == url + READINESS_PATH


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PETSAGE_PORT": "http"}, "PETSAGE_PORT: not an integer: 'http'"),
        ({"PETSAGE_MANAGEMENT_PORT": "70000"}, "PETSAGE_MANAGEMENT_PORT: not a port to probe"),
        ({"PETSAGE_PORT": "0"}, "PETSAGE_PORT: not a port to probe: 0"),
    ],
)
def test_a_bad_port_variable_is_named(environ: dict[str, str], message: str) -> None:
    """A port variable that is not a port to probe raises an error naming the variable."""
    with pytest.raises(ProbeConfigError, match=message):
        default_url(environ)
