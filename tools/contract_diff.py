"""Fail when the contract in ``openapi/`` breaks a consumer of the contract at a git ref.

``make contract-diff [BASE=<git ref>]`` runs this: every document of ``openapi/`` at BASE is
compared with the working tree's by Optic (``optic diff --check``, its default breaking-change
rules: removed operations, parameters or response properties, new required request fields,
narrowed request enums, widened response enums, ...). A document that is new since BASE breaks
nothing; a removed one breaks its consumers. Optic does not compare ``security``: an operation a
client could call without credentials that now requires them is a break found here. With no
BASE, the base is the last release: the newest ``v*`` tag reachable from HEAD, or, in a clone
without one, the commit ``.ci/last-release`` records (CI runs it so). Exit status: 0 when nothing
breaks, 1 otherwise, 2 when there is no base to compare with.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from petsage.contract import operations

ROOT = Path(__file__).resolve().parents[1]
OPTIC = ROOT / "node_modules" / ".bin" / "optic"
CONTRACT = "openapi"
LAST_RELEASE = Path(".ci", "last-release")


class NoBaseError(Exception):
    """Raised when the clone has neither a release tag nor the commit ``.ci/last-release`` names."""


def _git(repo: Path, *args: str, check: bool = True) -> str:
    return subprocess.run(  # noqa: S603 - git, arguments built here
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH
        check=check,
        capture_output=True,
        text=True,
    ).stdout


def recorded_release(repo: Path) -> tuple[str, str]:
    """(tag, commit) of the last release as ``.ci/last-release`` records it."""
    lines = (repo / LAST_RELEASE).read_text().splitlines()
    tag, commit = next(line for line in lines if line and not line.startswith("#")).split()
    return tag, commit


def last_release(repo: Path) -> str:
    """The ref of the last release: the newest ``v*`` tag reachable from HEAD, else the commit
    ``.ci/last-release`` records."""
    tag = _git(repo, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD", check=False)
    if tag.strip():
        return tag.strip()
    name, commit = recorded_release(repo)
    if not _has_commit(repo, commit) and _git(repo, "rev-parse", "--is-shallow-repository") == (
        "true\n"
    ):
        # A shallow checkout (depth 1) lacks the release: ask its origin for the history once.
        _git(repo, "fetch", "--quiet", "--unshallow", check=False)
    if not _has_commit(repo, commit):
        raise NoBaseError(
            f"no v* tag is reachable from HEAD and {LAST_RELEASE} names commit {commit} ({name}),"
            " which this clone does not have: fetch the tags or the full history"
        )
    return commit


def _has_commit(repo: Path, commit: str) -> bool:
    return _git(repo, "cat-file", "-t", commit, check=False).strip() == "commit"


def anonymous(path: Path) -> dict[str, bool]:
    """``METHOD /path`` of every operation of the document at ``path``: whether a client may call
    it without credentials (no security requirement, or an empty alternative, ``{}``)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    default = document.get("security", [])
    found = {}
    for template, item in document.get("paths", {}).items():
        for method, operation in operations(item):
            security = operation.get("security", default)
            found[f"{method.upper()} {template}"] = not security or {} in security
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "base",
        nargs="?",
        help="the git ref to compare with (a branch, a tag, a commit; default: the last release)",
    )
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="the repository (default: this one)"
    )
    args = parser.parse_args(argv)
    if args.base is None:
        try:
            args.base = last_release(args.repo)
        except NoBaseError as error:
            print(f"contract-diff: {error}", file=sys.stderr)
            return 2
        print(f"contract-diff: comparing with the last release, {args.base}", file=sys.stderr)
    names = _git(args.repo, "ls-tree", "--name-only", f"{args.base}:{CONTRACT}").split()
    documents = [name for name in names if name.endswith((".yaml", ".yml", ".json"))]
    env = {**os.environ, "OPTIC_TELEMETRY_LEVEL": "off"}  # no analytics or crash reports sent
    broken = []
    with tempfile.TemporaryDirectory(prefix="contract-base-") as tmp:
        for name in documents:  # all of them first: one document may $ref a sibling
            text = _git(args.repo, "show", f"{args.base}:{CONTRACT}/{name}")
            Path(tmp, name).write_text(text)
        for name in documents:
            head = args.repo / CONTRACT / name
            if not head.exists():
                print(f"{CONTRACT}/{name}: removed since {args.base}", file=sys.stderr)
                broken.append(name)
                continue
            check = subprocess.run(  # noqa: S603 - Optic from node_modules, paths built here
                [str(OPTIC), "diff", str(Path(tmp, name)), str(head), "--check"], env=env
            )
            before, now = anonymous(Path(tmp, name)), anonymous(head)
            closed = [op for op, is_open in now.items() if before.get(op) and not is_open]
            for operation in closed:
                print(f"{CONTRACT}/{name}: {operation} now requires credentials", file=sys.stderr)
            if check.returncode or closed:
                broken.append(name)
    if broken:
        print(f"breaking changes since {args.base}: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
