from __future__ import annotations

from datetime import UTC, datetime, timedelta

from petsage.services.smoke import run_smoke_test


def test_smoke_test_says_ok_with_the_branding_line() -> None:
    """The service answers ok and the first request's message."""
    result = run_smoke_test()
    assert result.status == "ok"
    assert result.message == "PetSage system is alive and purring!"


def test_smoke_test_timestamp_is_utc_now() -> None:
    """The timestamp is timezone-aware UTC and taken at the time of the check."""
    before = datetime.now(UTC)
    result = run_smoke_test()
    after = datetime.now(UTC)
    assert result.timestamp.utcoffset() == timedelta(0)
    assert before <= result.timestamp <= after


def test_smoke_test_serialises_as_rfc3339_utc() -> None:
    """The JSON timestamp ends in Z, RFC 3339 with an offset."""
    dumped = run_smoke_test().model_dump(mode="json")
    assert dumped["timestamp"].endswith("Z")
    assert datetime.fromisoformat(dumped["timestamp"]).tzinfo is not None
