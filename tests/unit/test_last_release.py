"""The last release is recorded for a tag-less clone, and agrees with the tag and the CHANGELOG."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tools.contract_diff import last_release, recorded_release

ROOT = Path(__file__).parents[2]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def test_the_recorded_release_has_a_changelog_heading() -> None:
    """.ci/last-release names a version whose section CHANGELOG.md has."""
    tag, _ = recorded_release(ROOT)
    headings = [
        line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line[:3] == "## "
    ]
    assert any(heading.split()[1] == tag.removeprefix("v") for heading in headings), headings


def test_the_newest_release_tag_is_the_recorded_one() -> None:
    """A clone with release tags has the recorded one as the newest reachable, at the recorded
    commit: a release tagged without updating .ci/last-release fails here."""
    tag, commit = recorded_release(ROOT)
    newest = last_release(ROOT)
    if newest != commit:  # the clone has tags
        assert newest == tag
        assert _git("rev-parse", f"{tag}^{{commit}}") == commit
