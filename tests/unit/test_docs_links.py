"""The docs hold together: every relative link reaches a file, and a heading where it names one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")], key=str
)
README_MAX_LINES = 220

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~)")


def _prose(text: str) -> list[str]:
    """The lines of ``text`` outside fenced code blocks."""
    lines, in_code = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            lines.append(line)
    return lines


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``path``: lowercased, punctuation dropped, spaces
    as hyphens, ``-1``, ``-2`` ... after a repeated one."""
    anchors: set[str] = set()
    for line in _prose(path.read_text()):
        heading = re.match(r"#{1,6} (.+)", line)
        if heading is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading[1].strip().lower()).replace(" ", "-")
        anchor, repeat = slug, 0
        while anchor in anchors:
            repeat += 1
            anchor = f"{slug}-{repeat}"
        anchors.add(anchor)
    return anchors


def _relative_links(path: Path) -> list[str]:
    targets = (m[1] for line in _prose(path.read_text()) for m in _LINK.finditer(line))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_a_heading(document: Path) -> None:
    """A relative link names a file or directory that exists, and a heading of it when the link
    has a #fragment."""
    broken = []
    for link in _relative_links(document):
        target, _, fragment = link.partition("#")
        resolved = (document.parent / target).resolve() if target else document
        if not resolved.exists():
            broken.append(f"{link}: no {target}")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(f"{link}: no heading #{fragment} in {target or document.name}")
    assert not broken, broken


def test_the_docs_are_linked_from_the_readme() -> None:
    """Every topic file in docs/ is reached from the README's front door."""
    linked = {
        (ROOT / link.partition("#")[0]).resolve() for link in _relative_links(ROOT / "README.md")
    }
    assert {path.resolve() for path in (ROOT / "docs").glob("*.md")} <= linked


def test_the_readme_stays_a_front_door() -> None:
    """README.md stays short enough to read through; topics go to docs/."""
    assert len((ROOT / "README.md").read_text().splitlines()) <= README_MAX_LINES
