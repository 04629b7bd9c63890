"""Drive h2load (HTTP/1.1) pinned to the load core for a fixed number of requests."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import wrk


@dataclass(frozen=True)
class H2loadResult:
    requests: int
    succeeded: int  # answered 2xx
    failed: int  # anything else: no answer (failed, errored, timed out) or not a 2xx


def parse(output: str) -> H2loadResult:
    """The counts of an ``h2load`` report."""
    total = re.search(r"requests: (\d+) total", output)
    codes = re.search(r"status codes: (\d+) 2xx", output)
    if total is None or codes is None:
        raise ValueError(f"no request counts in h2load's report:\n{output}")
    requests, succeeded = int(total.group(1)), int(codes.group(1))
    return H2loadResult(requests, succeeded, requests - succeeded)


def run(url: str, requests: int) -> str:
    """``requests`` GETs of ``url`` over as many connections as wrk uses; h2load's report."""
    argv = ["taskset", "-c", wrk.LOAD_CORE, "h2load", "--h1", "-t1", f"-c{wrk.CONNECTIONS}"]
    return subprocess.run(
        [*argv, f"-n{requests}", url], capture_output=True, text=True, check=True, timeout=600
    ).stdout
