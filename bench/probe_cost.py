"""What a container HEALTHCHECK pays per run: ``petsage probe`` against a plain ``urllib`` GET
in the same interpreter, both asking a running PetSage's readiness, alternately; wall time from
spawn to exit and the child's peak RSS (``wait4``'s ``ru_maxrss``)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import wrk

URLLIB_GET = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()"


def _run(argv: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        ["taskset", "-c", wrk.LOAD_CORE, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{argv} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def measure(petsage_bin: Path, url: str, runs: int) -> dict[str, list[dict[str, float]]]:
    """``runs`` alternating runs of each (after one of each to warm the caches): wall ms and peak
    RSS MiB of every run."""
    python = str(petsage_bin.with_name("python"))
    commands = {
        "petsage probe": [str(petsage_bin), "probe", url],
        "urllib GET": [python, "-c", URLLIB_GET, url],
    }
    for argv in commands.values():
        _run(argv)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            wall, rss = _run(argv)
            samples[name].append({"wall_ms": wall * 1e3, "peak_rss_mib": rss})
    return samples
