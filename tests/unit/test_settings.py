from __future__ import annotations

import pytest
from pydantic import ValidationError

from petsage.settings import Settings


def test_defaults_serve_loopback_port_8000(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no configuration the service listens on 127.0.0.1:8000, one worker, level info."""
    for name in ("PETSAGE_HOST", "PETSAGE_PORT", "PETSAGE_WORKERS", "PETSAGE_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.host, settings.port, settings.workers, settings.log_level) == (
        "127.0.0.1",
        8000,
        1,
        "info",
    )


def test_petsage_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """PETSAGE_* variables set the settings."""
    monkeypatch.setenv("PETSAGE_HOST", "0.0.0.0")
    monkeypatch.setenv("PETSAGE_PORT", "9001")
    monkeypatch.setenv("PETSAGE_LOG_LEVEL", "warning")
    settings = Settings()
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 9001, "warning")


def test_explicit_values_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value passed in (a CLI flag) overrides its PETSAGE_* variable."""
    monkeypatch.setenv("PETSAGE_PORT", "9001")
    assert Settings(port=9002).port == 9002


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PETSAGE_PORT", "70000"),
        ("PETSAGE_LOG_LEVEL", "loud"),
        ("PETSAGE_DRAIN_SECONDS", "-1"),
        ("PETSAGE_LOG_FORMAT", "xml"),
        ("PETSAGE_LOG_PROBES", "maybe"),
    ],
)
def test_invalid_value_names_the_key(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A bad value is refused, and the error names the setting."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("PETSAGE_").lower()):
        Settings()


def test_health_settings_default_to_a_five_second_drain(monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file, 5 s drain, 10 s grace, quiet probes, text logs."""
    for name in (
        "PETSAGE_CONFIG",
        "PETSAGE_DRAIN_SECONDS",
        "PETSAGE_GRACEFUL_TIMEOUT",
        "PETSAGE_LOG_PROBES",
        "PETSAGE_LOG_FORMAT",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.config, settings.drain_seconds, settings.graceful_timeout) == (None, 5.0, 10)
    assert (settings.log_probes, settings.log_format) == (False, "text")
