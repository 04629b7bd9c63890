"""The health configuration file: the documented example loads; a bad one names key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from petsage.health.config import ConfigError, load_health_config

EXAMPLE = """
[[health.checks]]
name = "pet-db"
type = "tcp"
target = "127.0.0.1:5432"
timeout = 1.0
critical = true

[[health.checks]]
name = "vet-api"
type = "http"
target = "http://127.0.0.1:9000/health"
timeout = 0.5
critical = false
ttl = 2.0
"""

_TCP = '[[health.checks]]\nname = "pet-db"\ntype = "tcp"\ntarget = "127.0.0.1:5432"\n'


def test_issue_example_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    """The README's example loads; timeout defaults to 1 s, critical to true."""
    path = tmp_path / "petsage.toml"
    path.write_text(EXAMPLE)
    pet_db, vet_api = load_health_config(path).health.checks
    assert (pet_db.type, pet_db.host_port, pet_db.timeout, pet_db.critical) == (
        "tcp",
        ("127.0.0.1", 5432),
        1.0,
        True,
    )
    assert (vet_api.type, vet_api.timeout, vet_api.critical, vet_api.ttl) == (
        "http",
        0.5,
        False,
        2.0,
    )


def test_no_file_means_built_in_checks_only() -> None:
    """Without a file there are no dependency checks."""
    assert load_health_config(None).health.checks == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_TCP.replace('"tcp"', '"udp"'), "health.checks[0].type: Input should be 'tcp' or 'http'"),
        (
            _TCP.replace('target = "127.0.0.1:5432"\n', ""),
            "health.checks[0].target: Field required",
        ),
        (_TCP + "timeout = -1\n", "health.checks[0].timeout: Input should be greater than 0"),
        (_TCP + _TCP, "health.checks[1].name: 'pet-db' is already taken"),
        (_TCP.replace("pet-db", "memory"), "health.checks[0].name: 'memory' is already taken"),
        (_TCP.replace("pet-db", "Pet DB"), "health.checks[0].name: String should match pattern"),
        (
            _TCP.replace("127.0.0.1:5432", "db"),
            "health.checks[0].target: a tcp check needs host:port",
        ),
        (
            _TCP.replace('"tcp"', '"http"'),
            "health.checks[0].target: an http check needs an http:// or https:// URL",
        ),
        (_TCP + "timout = 2\n", "health.checks[0].timout: Extra inputs are not permitted"),
        ("[health]\nservice_id = 3\n", "health.service_id: Input should be a valid string"),
        ("[health\n", "not valid TOML"),
    ],
)
def test_bad_file_is_one_message_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Each mistake gives one line: the file, the key, and the problem."""
    path = tmp_path / "petsage.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_health_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A path to nothing says it cannot be read."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_health_config(tmp_path / "nope.toml")
