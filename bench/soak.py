"""Soak: `petsage serve` as shipped under wrk at saturation for N minutes.

Samples the server's RSS and open file descriptors from /proc every few seconds, then idles and
counts descriptors again. Reports wrk's errors and non-2xx answers, the RSS growth per 10 minutes
after warm-up (least-squares slope), and whether descriptors went back to their baseline. Writes
JSON and exits 1 if a target is missed: 0 errors, 0 non-2xx, < 1 MB per 10 min, fds at baseline.

    python bench/soak.py --minutes 10      # or: make soak MINUTES=10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from petsage.testing import running_server

ROOT = Path(__file__).parents[1]
MB = 1024 * 1024
TARGET_GROWTH_MB_PER_10_MIN = 1.0


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def parse_wrk(output: str) -> dict[str, int | float]:
    """Requests, rate, socket errors and non-2xx/3xx answers from wrk's text report."""
    numbers: dict[str, int | float] = {"requests": 0, "non_2xx": 0, "errors": 0}
    if match := re.search(r"(\d+) requests in", output):
        numbers["requests"] = int(match.group(1))
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        numbers["requests_per_second"] = float(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        numbers["non_2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        kinds = ("connect", "read", "write", "timeout")
        numbers.update({f"errors_{k}": int(v) for k, v in zip(kinds, match.groups(), strict=True)})
        numbers["errors"] = sum(int(v) for v in match.groups())
    return numbers


def growth_per_10_min(samples: list[dict[str, float]], after: float) -> float:
    """Least-squares slope of RSS over time after ``after`` seconds, in MB per 10 minutes."""
    kept = [s for s in samples if s["t"] >= after]
    if len(kept) < 3:
        return float("nan")
    slope = statistics.linear_regression([s["t"] for s in kept], [s["rss"] for s in kept]).slope
    return slope * 600 / MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="load duration (default 10)")
    parser.add_argument("--warmup", type=float, default=None, help="minutes before RSS counts")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--every", type=float, default=5, help="seconds between samples")
    parser.add_argument("--idle", type=float, default=20, help="seconds idle before fd count")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/soak.json")
    args = parser.parse_args()
    duration = args.minutes * 60
    warmup = (args.warmup if args.warmup is not None else min(2.0, args.minutes / 5)) * 60

    # --log-level warning: an access-log line per request would measure the log, not the server.
    with running_server("--log-level", "warning") as server:
        pid = server.process.pid
        url = f"{server.base_url}/api/v1/smoke-test"
        with urllib.request.urlopen(url, timeout=5):
            pass
        baseline = {"rss": rss_bytes(pid), "fds": open_fds(pid)}
        wrk = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{int(duration)}s", url]
        load = subprocess.Popen(wrk, stdout=subprocess.PIPE, text=True)
        started = time.monotonic()
        samples: list[dict[str, float]] = []
        while load.poll() is None and time.monotonic() - started < duration + 60:
            samples.append(
                {"t": time.monotonic() - started, "rss": rss_bytes(pid), "fds": open_fds(pid)}
            )
            time.sleep(args.every)
        output, _ = load.communicate(timeout=60)
        time.sleep(args.idle)  # past keep-alive and header timeouts: every client socket gone
        idle_fds = open_fds(pid)
        alive = server.process.poll() is None

    wrk_numbers = parse_wrk(output)
    growth = growth_per_10_min(samples, warmup)
    after_warmup = [s for s in samples if s["t"] >= warmup]
    result = {
        "command": " ".join(["wrk", *wrk[1:-1], "<base>/api/v1/smoke-test"]),
        "server": "petsage serve --log-level warning (1 worker, httptools, uvloop)",
        "minutes": args.minutes,
        "warmup_minutes": warmup / 60,
        "wrk": wrk_numbers,
        "rss_mb": {
            "baseline": baseline["rss"] / MB,
            "after_warmup": after_warmup[0]["rss"] / MB if after_warmup else None,
            "end": samples[-1]["rss"] / MB,
            "max": max(s["rss"] for s in samples) / MB,
            "growth_per_10_min_after_warmup": growth,
        },
        "fds": {
            "baseline": baseline["fds"],
            "peak": max(s["fds"] for s in samples),
            "after_idle": idle_fds,
        },
        "server_alive_at_end": alive,
        "samples": [{**s, "rss": s["rss"] / MB} for s in samples],
    }
    checks = {
        "no_errors": wrk_numbers["errors"] == 0,
        "no_non_2xx": wrk_numbers["non_2xx"] == 0,
        "rss_growth_below_1_mb_per_10_min": growth < TARGET_GROWTH_MB_PER_10_MIN,
        "fds_back_to_baseline": idle_fds <= baseline["fds"],
        "server_alive": alive,
    }
    result["checks"] = checks
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(output)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
