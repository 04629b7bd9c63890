from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from petsage.server import settings_environment
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


def test_allowed_hosts_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    """PETSAGE_ALLOWED_HOSTS is a comma-separated list, trimmed and lower-cased; empty: any."""
    monkeypatch.setenv("PETSAGE_ALLOWED_HOSTS", " API.example, *.petsage.test ,")
    assert Settings().allowed_hosts == ["api.example", "*.petsage.test"]
    monkeypatch.setenv("PETSAGE_ALLOWED_HOSTS", "")
    assert Settings().allowed_hosts == []


def test_hardening_settings_round_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each worker process reads back exactly the limits `petsage serve` was given."""
    given = Settings(allowed_hosts="a.example,b.example", max_header_bytes=4096, header_timeout=2.5)
    for name, value in settings_environment(given).items():
        monkeypatch.setenv(name, value)
    assert Settings() == given


def test_hardening_defaults_match_the_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    """16 KiB of headers, 100 fields, an 8 KiB target, 10 s to send the headers, any host."""
    for name in ("MAX_HEADER_BYTES", "MAX_HEADER_COUNT", "MAX_URL_BYTES", "HEADER_TIMEOUT"):
        monkeypatch.delenv(f"PETSAGE_{name}", raising=False)
    monkeypatch.delenv("PETSAGE_ALLOWED_HOSTS", raising=False)
    settings = Settings()
    assert (settings.max_header_bytes, settings.max_header_count, settings.max_url_bytes) == (
        16384,
        100,
        8192,
    )
    assert (settings.header_timeout, settings.allowed_hosts) == (10.0, [])


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


def test_plugin_checks_round_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """PETSAGE_CHECKS is read comma-separated, and each worker reads back the same references."""
    monkeypatch.setenv("PETSAGE_CHECKS", " mypets.checks:checks ,other:gate,")
    given = Settings()
    assert given.checks == ["mypets.checks:checks", "other:gate"]
    monkeypatch.delenv("PETSAGE_CHECKS")
    for name, value in settings_environment(given).items():
        monkeypatch.setenv(name, value)
    assert Settings().checks == given.checks


def test_a_management_port_needs_one_worker_and_a_port_of_its_own() -> None:
    """PETSAGE_MANAGEMENT_PORT is refused with several workers, and when it is the main port."""
    assert Settings(management_port=9000).management_port == 9000
    with pytest.raises(ValidationError, match="PETSAGE_WORKERS above 1"):
        Settings(workers=2, management_port=9000)
    with pytest.raises(ValidationError, match="must differ from PETSAGE_PORT"):
        Settings(port=9000, management_port=9000)


def test_allowed_hosts_are_normalised_and_checked() -> None:
    """Entries are lower-cased, IPv6 bracketed, '*' kept; an invalid entry is a settings error."""
    given = Settings(allowed_hosts="API.example, *, fd00::1")
    assert given.allowed_hosts == ["api.example", "*", "[fd00::1]"]
    # As a worker reads them back from the environment.
    again = Settings(allowed_hosts=settings_environment(given)["PETSAGE_ALLOWED_HOSTS"])
    assert again.allowed_hosts == given.allowed_hosts
    with pytest.raises(ValidationError, match="allowed_hosts"):
        Settings(allowed_hosts="[1,2]")


def test_public_metrics_are_refused_beside_a_management_port() -> None:
    """With a management listener the metrics are served there only: asking for them on the
    main port as well is refused, naming the other setting."""
    with pytest.raises(ValidationError, match="PETSAGE_MANAGEMENT_PORT"):
        Settings(management_port=9000, public_metrics=True)
    assert Settings(public_metrics=True).public_metrics


def test_a_health_token_file_that_is_not_there_is_refused(tmp_path: Path) -> None:
    """A token file that does not exist stops the start, naming the file."""
    with pytest.raises(ValidationError, match="no such file"):
        Settings(health_token_file=tmp_path / "missing")
    (tmp_path / "token").write_text("t")
    assert Settings(health_token_file=tmp_path / "token").health_token_file == tmp_path / "token"
