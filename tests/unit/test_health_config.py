"""The health configuration file: the documented example loads; a bad one names key and problem."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from petsage.health.check_types import CHECK_TYPES, TcpConfig
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
    """The issue's example loads; timeout defaults to 1 s, critical to true."""
    path = tmp_path / "petsage.toml"
    path.write_text(EXAMPLE)
    pet_db, vet_api = load_health_config(path).health.checks
    assert isinstance(pet_db, TcpConfig)
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


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "petsage.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_health_config(path)
    lines = str(error.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    return [line.removeprefix(f"{path}: ") for line in lines]


_PG = '[[health.checks]]\nname = "pet-db"\ntype = "postgres"\ntarget = "postgresql://u@db/pets"\n'


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (_TCP.replace('"tcp"', '"udp"'), "health.checks[0].type"),
        (_TCP.replace('type = "tcp"\n', ""), "health.checks[0].type"),
        (_TCP.replace('target = "127.0.0.1:5432"\n', ""), "health.checks[0].target"),
        (_TCP + "timeout = -1\n", "health.checks[0].timeout"),
        (_TCP + _TCP, "health.checks[1].name"),
        (_TCP.replace("pet-db", "memory"), "health.checks[0].name"),
        (_TCP.replace("pet-db", "Pet DB"), "health.checks[0].name"),
        (_TCP.replace("127.0.0.1:5432", "db"), "health.checks[0].target"),
        (_TCP.replace('"tcp"', '"http"'), "health.checks[0].target"),
        (_TCP + "timout = 2\n", "health.checks[0].timout"),
        # A key of another type does not apply to this one.
        (_TCP + "expect_status = [200, 299]\n", "health.checks[0].expect_status"),
        (_TCP + 'password_env = "PW"\n', "health.checks[0].password_env"),
        (
            _TCP.replace('"tcp"', '"http"').replace("127.0.0.1:5432", "http://h/")
            + "expect_status = [299, 200]\n",
            "health.checks[0].expect_status",
        ),
        ("[health.event_loop]\nwarn_after = 2\nfail_after = 1\n", "health.event_loop.warn_after"),
        ("[health.event_loop]\nwarn_after = 1\nfail_after = 1\n", "health.event_loop.warn_after"),
        (_PG.replace("postgresql://u@db", "redis://db"), "health.checks[0].target"),
        (_PG.replace("postgresql://u@db", "postgresql://u@db:99999"), "health.checks[0].target"),
        (_PG.replace("@db", ":pw@db") + 'password_env = "PW"\n', "health.checks[0].password_env"),
        (_PG + 'password_file = "/nonexistent/secret"\n', "health.checks[0].password_file"),
        ("[health]\nservice_id = 3\n", "health.service_id"),
    ],
)
def test_bad_file_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    """Each mistake is one line: the file, then the key, then what is wrong with it."""
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{key}: ")
    assert len(problem) > len(key) + 2


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    """Three mistakes in two tables give three lines, one per key."""
    text = (
        _TCP.replace("127.0.0.1:5432", "db")
        + "timeout = 0\n"
        + _TCP.replace("pet-db", "x")
        + "ttl = -1\n"
    )
    keys = [problem.partition(": ")[0] for problem in _problems(tmp_path, text)]
    assert sorted(keys) == [
        "health.checks[0].target",
        "health.checks[0].timeout",
        "health.checks[1].ttl",
    ]


def test_a_password_never_appears_in_a_problem(tmp_path: Path) -> None:
    """A bad table that holds a password is reported without it, whatever is wrong."""
    text = _PG.replace("@db/pets", ":s3cr3t@db:99999/pets") + "ttl = -1\nbogus = 1\n"
    problems = _problems(tmp_path, text)
    assert len(problems) == 3
    assert "s3cr3t" not in "\n".join(problems)


def test_unknown_type_lists_the_known_ones(tmp_path: Path) -> None:
    """An unknown `type` names every type there is."""
    (problem,) = _problems(tmp_path, _TCP.replace('"tcp"', '"udp"'))
    assert all(repr(kind) in problem for kind in CHECK_TYPES)


@pytest.mark.parametrize(("kind", "module"), [("postgres", "asyncpg"), ("redis", "redis")])
def test_type_whose_driver_is_missing_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, module: str
) -> None:
    """Without its driver, a `postgres` or `redis` table says which extra to install."""
    monkeypatch.setitem(sys.modules, module, None)  # `import <module>` now raises ImportError
    target = "postgresql://u@db/pets" if kind == "postgres" else "redis://db"
    text = f'[[health.checks]]\nname = "x"\ntype = "{kind}"\ntarget = "{target}"\n'
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith("health.checks[0].type: ")
    assert f"petsage[{kind}]" in problem


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A path to nothing says it cannot be read."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_health_config(tmp_path / "nope.toml")


def test_file_that_is_not_toml_says_so(tmp_path: Path) -> None:
    """Broken TOML is one line saying so."""
    (problem,) = _problems(tmp_path, "[health\n")
    assert problem.startswith("not valid TOML")


def test_a_loaded_configuration_does_not_show_its_passwords(tmp_path: Path) -> None:
    """The repr of a loaded configuration and of the checks it builds holds no URL password."""
    path = tmp_path / "petsage.toml"
    tables = [
        _PG.replace("@db/pets", ":s3cr3t@db/pets"),
        _PG.replace("pet-db", "cache")
        .replace('"postgres"', '"redis"')
        .replace("postgresql://u@db/pets", "redis://:s3cr3t@db/0"),
        _PG.replace("pet-db", "vet-api")
        .replace('"postgres"', '"http"')
        .replace("postgresql://u@db/pets", "https://u:s3cr3t@vet/health"),
    ]
    path.write_text("".join(tables))
    config = load_health_config(path)
    assert "s3cr3t" not in repr(config)
    assert all("s3cr3t" not in repr(check.build()) for check in config.health.checks)
