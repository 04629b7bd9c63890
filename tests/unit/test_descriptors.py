"""The open-file limit is raised at startup, and the connection cap keeps descriptors spare."""

from __future__ import annotations

import subprocess
import sys

import pytest

from petsage.protocol.capacity import soft_cap
from petsage.protocol.descriptors import default_max_connections

RAISE = "from petsage.protocol.descriptors import raise_open_file_limit as r; print(r())"


@pytest.mark.parametrize(
    ("limit", "cap"), [(64, 32), (256, 224), (1024, 896), (20_000, 17_500), (1 << 20, 917_504)]
)
def test_the_cap_keeps_an_eighth_of_the_descriptors_spare(limit: int, cap: int) -> None:
    """An eighth of the limit, at least 32 descriptors, stays free for everything else."""
    assert default_max_connections(limit) == cap
    assert soft_cap(cap) < cap


def test_the_soft_limit_is_raised_to_the_hard_one() -> None:
    """Started with a soft limit of 128 under a hard one of 512, the process ends up with 512."""
    raised = subprocess.run(
        ["prlimit", "--nofile=128:512", sys.executable, "-c", RAISE],  # noqa: S607
        capture_output=True,
        check=True,
        text=True,
    )
    assert raised.stdout.strip() == "512"
