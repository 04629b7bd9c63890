"""``make bench``: PetSage, the FastAPI peer and raw ASGI side by side, in interleaved rounds.

Each round starts every contender afresh (A B C, A B C, ...), times it to its first 200, warms it
up, loads it with wrk, reads its RSS and stops it; the report is the median over rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import report
import servers
import wrk

MODES = {
    "full": {"rounds": 7, "seconds": 6.0, "warmup_seconds": 2.0},
    "quick": {"rounds": 2, "seconds": 2.0, "warmup_seconds": 1.0},
}
READY_PATH = "/api/v1/health/ready"
LABELS = {
    "petsage": "PetSage (Connexion)",
    "petsage-ready": "PetSage /health/ready",
    "fastapi": "FastAPI peer",
    "raw": "raw ASGI",
}


def _commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=servers.ROOT
    )
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=servers.ROOT).returncode
    return result.stdout.strip() + ("+dirty" if dirty else "")


def _load(url: str, mode: dict[str, Any], raw_path: Path) -> dict[str, Any]:
    wrk.run(url, mode["warmup_seconds"])
    report_text = wrk.run(url, mode["seconds"])
    raw_path.write_text(report_text)
    return asdict(wrk.parse(report_text))


def measure(mode: dict[str, Any], out: Path) -> dict[str, Any]:
    specs = servers.contenders(
        servers.ROOT / "bench" / ".venv-service" / "bin" / "petsage", Path(sys.executable)
    )
    raw_dir = out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[dict[str, Any]]] = {
        "petsage": [],
        "petsage-ready": [],
        "fastapi": [],
        "raw": [],
    }
    notes: list[str] = []
    ready_answers = True
    for round_ in range(mode["rounds"]):
        for spec in specs:
            stem = f"{spec.name}-{round_}"
            server = servers.start(spec, servers.free_port(), raw_dir / f"{stem}.log")
            try:
                base = f"http://127.0.0.1:{server.port}"
                sample = _load(base + spec.smoke_path, mode, raw_dir / f"{stem}.wrk.txt")
                sample |= {"start_seconds": server.start_seconds, "rss_mib": server.rss_mib()}
                samples[spec.name].append(sample)
                if spec.name == "petsage" and ready_answers:
                    ready_answers = servers.get_status(server.port, READY_PATH) != 404
                    if ready_answers:
                        ready = _load(base + READY_PATH, mode, raw_dir / f"ready-{round_}.wrk.txt")
                        samples["petsage-ready"].append(ready)
            finally:
                server.stop()
            print(
                f"round {round_ + 1}/{mode['rounds']} {spec.name:8} "
                f"{sample['requests_per_second']:9.0f} req/s  p99 {sample['p99_ms']:7.2f} ms  "
                f"start {sample['start_seconds']:.2f} s  RSS {sample['rss_mib']:.1f} MiB",
                flush=True,
            )
    if not ready_answers:
        notes.append(f"`GET {READY_PATH}` answers 404 on this build: scenario skipped.")
    for name, rounds in samples.items():
        if any(s["errors"] for s in rounds):
            notes.append(
                f"{LABELS[name]}: {sum(s['errors'] for s in rounds)} error answers under load."
            )
    samples = {name: rounds for name, rounds in samples.items() if rounds}
    medians = report.summarise(samples)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "connections": wrk.CONNECTIONS,
        "rounds": mode["rounds"],
        "seconds": mode["seconds"],
        "warmup_seconds": mode["warmup_seconds"],
        "labels": {name: LABELS[name] for name in medians},
        "medians": medians,
        "targets": report.targets(medians),
        "notes": notes,
        "samples": samples,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per scenario")
    parser.add_argument("--rounds", type=int, help="override the mode's number of rounds")
    parser.add_argument("--out", type=Path, default=servers.ROOT / "bench" / "results")
    options = parser.parse_args(argv)
    name = "quick" if options.quick else "full"
    mode = MODES[name] | ({"rounds": options.rounds} if options.rounds else {})
    result = {"mode": name} | measure(mode, options.out)
    report.write(result, options.out)
    print(report.markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
