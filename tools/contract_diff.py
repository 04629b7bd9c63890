"""Fail when the contract in ``openapi/`` breaks a consumer of the contract at a git ref.

``make contract-diff BASE=<git ref>`` runs this: every document of ``openapi/`` at BASE is compared
with the working tree's by Optic (``optic diff --check``, its default breaking-change rules:
removed operations, parameters or response properties, new required request fields, narrowed
request enums, widened response enums, ...). A document that is new since BASE breaks nothing; a
removed one breaks its consumers. Exit status: 0 when nothing breaks, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPTIC = ROOT / "node_modules" / ".bin" / "optic"
CONTRACT = "openapi"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(  # noqa: S603 - git, arguments built here
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git ref to compare with (a branch, a tag, a commit)")
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="the repository (default: this one)"
    )
    args = parser.parse_args(argv)
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
            if check.returncode:
                broken.append(name)
    if broken:
        print(f"breaking changes since {args.base}: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
