"""``petsage serve``'s options follow from ``Settings``; errors name what the user typed."""

from __future__ import annotations

import os
from typing import Any, get_args

import pytest

from petsage.cli import EXIT_CONFIG, build_parser, load_settings, main
from petsage.flags import default_text, flag
from petsage.server import settings_environment
from petsage.settings import Settings, variable


@pytest.fixture(autouse=True)
def _no_petsage_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the PETSAGE_* variables it sets."""
    for name in list(os.environ):
        if name.upper().startswith("PETSAGE_"):
            monkeypatch.delenv(name)


def _serve_options(*arguments: str) -> dict[str, Any]:
    options = vars(build_parser("serve").parse_args(["serve", *arguments]))
    del options["command"]
    return options


def _serve_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("field", list(Settings.model_fields))
def test_every_setting_has_a_flag_with_its_description_variable_and_default(
    field: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`petsage serve --help` lists `--field-name` for every setting, saying what the setting
    does, which variable it overrides and its default."""
    info = Settings.model_fields[field]
    # Each option's entry starts a line with "  -"; a long option has its help on the next line.
    entries = _serve_help(monkeypatch, capsys).split("\n  -")[1:]
    (entry,) = (" ".join(e.split()) for e in entries if e.split()[0].rstrip(",") == flag(field)[1:])
    assert f"{info.description} ({variable(field)}; default: {default_text(info)})" in entry


def test_log_level_choices_are_the_settings_literal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--log-level offers exactly the levels Settings accepts."""
    levels = ",".join(get_args(Settings.model_fields["log_level"].annotation))
    assert f"--log-level {{{levels}}}" in _serve_help(monkeypatch, capsys)


def test_flags_set_every_kind_of_setting() -> None:
    """Numbers, choices, booleans, paths and lists typed as flags reach the settings."""
    settings = load_settings(
        _serve_options(
            "--port=9100",
            "--drain-seconds=0.5",
            "--log-level=debug",
            "--log-probes",
            "--config=petsage.toml",
            "--allowed-hosts=a.example,b.example",
        )
    )
    assert (settings.port, settings.drain_seconds, settings.log_level) == (9100, 0.5, "debug")
    assert (str(settings.config), settings.log_probes) == ("petsage.toml", True)
    assert settings.allowed_hosts == ["a.example", "b.example"]
    assert load_settings(_serve_options("--no-log-probes")).log_probes is False


def test_a_flag_left_out_keeps_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the options typed override the PETSAGE_* variables; a flag beats its variable."""
    monkeypatch.setenv("PETSAGE_PORT", "9001")
    monkeypatch.setenv("PETSAGE_WORKERS", "3")
    settings = load_settings(_serve_options("--port", "9002"))
    assert (settings.port, settings.workers) == (9002, 3)


def test_a_bad_flag_value_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """`--port 70000` exits 78 with one line naming --port, not the variable."""
    with pytest.raises(SystemExit) as stopped:
        load_settings(_serve_options("--port", "70000"))
    assert stopped.value.code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("petsage: invalid settings: --port: ")
    assert "PETSAGE_PORT" not in err


def test_a_bad_variable_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """PETSAGE_PORT=70000 exits 78 with one line naming PETSAGE_PORT."""
    monkeypatch.setenv("PETSAGE_PORT", "70000")
    with pytest.raises(SystemExit) as stopped:
        load_settings(_serve_options())
    assert stopped.value.code == EXIT_CONFIG
    assert capsys.readouterr().err.startswith("petsage: invalid settings: PETSAGE_PORT: ")


def test_unknown_variables_are_warned_with_the_closest_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt PETSAGE_* variable is named in one warning line with the closest setting."""
    monkeypatch.setenv("PETSAGE_PROT", "9000")
    monkeypatch.setenv("PETSAGE_LOG_LEVL", "debug")
    load_settings({})
    assert capsys.readouterr().err.splitlines() == [
        "petsage: warning: ignoring unknown variables: "
        "PETSAGE_LOG_LEVL (did you mean PETSAGE_LOG_LEVEL?), "
        "PETSAGE_PROT (did you mean PETSAGE_PORT?)"
    ]


def test_known_variables_raise_no_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Variables every setting reads are not warned about."""
    for name, value in settings_environment(Settings()).items():
        monkeypatch.setenv(name, value)
    load_settings({})
    assert capsys.readouterr().err == ""
