"""Who sees what: the health token read from its file, and the startup lines that say where
the metrics and the health details are."""

from __future__ import annotations

from pathlib import Path

import pytest

from petsage.api.exposure import TokenFile
from petsage.server import exposure
from petsage.settings import Settings


def test_a_token_matches_only_the_files_content_without_its_newline(tmp_path: Path) -> None:
    """The file's token, less surrounding whitespace, matches; anything else does not."""
    path = tmp_path / "token"
    path.write_text("s3cret\n")
    tokens = TokenFile(path)
    assert tokens.matches("s3cret")
    assert not tokens.matches("s3cret\n")
    assert not tokens.matches("s3cre")
    assert not tokens.matches("")


@pytest.mark.parametrize("content", [None, "", "\n"])
def test_no_token_matches_a_missing_or_empty_file(tmp_path: Path, content: str | None) -> None:
    """While the file is missing or empty no token is valid, the empty one included."""
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    tokens = TokenFile(path)
    assert not tokens.matches("")
    assert not tokens.matches("anything")


def test_a_token_file_that_comes_back_is_read_again(tmp_path: Path) -> None:
    """Removed, nothing matches; written again, its new token does."""
    path = tmp_path / "token"
    path.write_text("old")
    tokens = TokenFile(path)
    assert tokens.matches("old")
    path.unlink()
    assert not tokens.matches("old")
    path.write_text("new")
    assert tokens.matches("new")
    assert not tokens.matches("old")


@pytest.mark.parametrize(
    ("settings", "metrics", "details"),
    [
        ({}, "off on the main port", "nowhere"),
        ({"public_metrics": True}, "on the main port 8000", "nowhere"),
        ({"metrics": False}, "Metrics: off", "nowhere"),
        ({"management_port": 9000}, "on the management port 9000", "management port 9000"),
    ],
)
def test_the_startup_lines_say_where_metrics_and_details_are(
    settings: dict[str, object], metrics: str, details: str
) -> None:
    """One line for the metrics and one for the health details, for each configuration."""
    metrics_line, details_line = exposure(Settings(**settings))  # type: ignore[arg-type]
    assert metrics_line.startswith("Metrics: ")
    assert metrics in metrics_line
    assert details_line.startswith("Health details: ")
    assert details in details_line


def test_the_startup_line_names_the_token_file_setting(tmp_path: Path) -> None:
    """With a token file the details line says the main port serves them to its bearers."""
    (path := tmp_path / "token").write_text("t")
    _, details = exposure(Settings(health_token_file=path))
    assert "PETSAGE_HEALTH_TOKEN_FILE" in details
    assert str(path) not in details
