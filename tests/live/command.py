"""The `petsage` command line run to completion, for tests of what it prints and exits with."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping


def run_petsage(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m petsage *args``; ``env``, when given, is the whole environment."""
    return subprocess.run(
        [sys.executable, "-m", "petsage", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
