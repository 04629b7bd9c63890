"""``make bench``: PetSage, the FastAPI peer and raw ASGI side by side, in interleaved rounds.

Each round starts every contender afresh (A B C, A B C, ...), in two logging states (quiet:
PetSage's default and the peers without an access log; logged: an access line per request from
all three); times it to its first 200, warms it up, loads it with wrk (requests/s, p50, p99),
sends it a fixed number of requests with h2load while reading its CPU time from /proc (CPU per
request), reads its RSS and stops it. The report is the median over rounds. PetSage's readiness
probe and the cost of ``petsage probe`` against a plain urllib GET are measured in its rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h2load
import probe_cost
import report
import servers
import wrk

MODES = {
    "full": {"rounds": 5, "seconds": 5.0, "warmup_seconds": 2.0, "requests": 20000, "probes": 4},
    "quick": {"rounds": 2, "seconds": 2.0, "warmup_seconds": 1.0, "requests": 4000, "probes": 2},
}
READY_PATH = "/api/v1/health/ready"
PETSAGE_BIN = servers.ROOT / "bench" / ".venv-service" / "bin" / "petsage"


def _load(url: str, mode: dict[str, Any], raw_path: Path) -> dict[str, Any]:
    wrk.run(url, mode["warmup_seconds"])
    report_text = wrk.run(url, mode["seconds"])
    raw_path.write_text(report_text)
    return asdict(wrk.parse(report_text))


def _cpu_per_request(server: servers.RunningServer, url: str, requests: int) -> dict[str, Any]:
    before = server.cpu_seconds()
    counts = h2load.parse(h2load.run(url, requests))
    used = server.cpu_seconds() - before
    return {"cpu_us_per_request": used / counts.requests * 1e6, "h2load_failed": counts.failed}


def _sample(
    server: servers.RunningServer, mode: dict[str, Any], raw: Path, stem: str
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{server.port}{server.spec.smoke_path}"
    sample = _load(url, mode, raw / f"{stem}.wrk.txt")
    sample |= _cpu_per_request(server, url, mode["requests"])
    return sample | {"start_seconds": server.start_seconds, "rss_mib": server.rss_mib()}


def measure(mode: dict[str, Any], out: Path, extra: dict[str, dict[str, str]]) -> dict[str, Any]:
    commit = servers.commit()  # what is measured: the tree as the run starts
    specs = servers.contenders(PETSAGE_BIN, Path(sys.executable), extra)
    raw_dir = out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in specs}
    samples["petsage-ready"] = []
    probes: dict[str, list[dict[str, float]]] = {}
    notes: list[str] = []
    ready_answers = True
    for round_ in range(mode["rounds"]):
        for spec in specs:
            stem = f"{spec.name}-{round_}"
            server = servers.start(spec, servers.free_port(), raw_dir / f"{stem}.log")
            try:
                sample = _sample(server, mode, raw_dir, stem)
                samples[spec.name].append(sample)
                base = f"http://127.0.0.1:{server.port}"
                if spec.name == "petsage" and ready_answers:
                    ready_answers = servers.get_status(server.port, READY_PATH) != 404
                    if ready_answers:
                        ready = _load(base + READY_PATH, mode, raw_dir / f"ready-{round_}.wrk.txt")
                        ready |= _cpu_per_request(server, base + READY_PATH, mode["requests"])
                        samples["petsage-ready"].append(ready)
                if spec.name == "petsage":
                    runs = probe_cost.measure(PETSAGE_BIN, base + READY_PATH, mode["probes"])
                    for name, measured in runs.items():
                        probes.setdefault(name, []).extend(measured)
            finally:
                server.stop()
            print(
                f"round {round_ + 1}/{mode['rounds']} {spec.name:16} "
                f"{sample['requests_per_second']:7.0f} req/s  "
                f"{sample['cpu_us_per_request']:5.0f} us CPU/req  p99 {sample['p99_ms']:6.2f} ms  "
                f"start {sample['start_seconds']:.2f} s  RSS {sample['rss_mib']:.1f} MiB",
                flush=True,
            )
    if not ready_answers:
        notes.append(f"`GET {READY_PATH}` answers 404 on this build: scenario skipped.")
    labels = {spec.name: spec.label for spec in specs} | {"petsage-ready": "PetSage /health/ready"}
    for name, rounds in samples.items():
        errors = sum(s["errors"] + s["h2load_failed"] for s in rounds)
        if errors:
            notes.append(f"{labels[name]} ({name}): {errors} error answers under load.")
    samples = {name: rounds for name, rounds in samples.items() if rounds}
    medians = report.summarise(samples)
    probe_medians = report.summarise(probes)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "connections": wrk.CONNECTIONS,
        "labels": {name: labels[name] for name in medians},
        "medians": medians,
        "probe": probe_medians,
        "targets": report.targets(medians, probe_medians),
        "notes": notes,
        "samples": samples,
        "probe_samples": probes,
    } | {key: mode[key] for key in ("rounds", "seconds", "warmup_seconds", "requests", "probes")}


def _variant(text: str) -> tuple[str, dict[str, str]]:
    name, _, assignments = text.partition(":")
    pairs = [pair.partition("=") for pair in assignments.split(",") if pair]
    if not name or not pairs or any(not sep for _, sep, _ in pairs):
        raise argparse.ArgumentTypeError(f"expected NAME:VAR=VALUE[,VAR=VALUE...], got {text!r}")
    return name, {key: value for key, _, value in pairs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per scenario")
    parser.add_argument("--rounds", type=int, help="override the mode's number of rounds")
    parser.add_argument("--out", type=Path, default=servers.ROOT / "bench" / "results")
    parser.add_argument(
        "--variant",
        type=_variant,
        action="append",
        default=[],
        metavar="NAME:VAR=VALUE[,...]",
        help="add PetSage with these PETSAGE_* variables as a contender, reported beside the "
        "default (e.g. a feature switched on, to show its cost)",
    )
    options = parser.parse_args(argv)
    name = "quick" if options.quick else "full"
    mode = MODES[name] | ({"rounds": options.rounds} if options.rounds else {})
    result = {"mode": name} | measure(mode, options.out, dict(options.variant))
    report.write(result, options.out)
    print(report.markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
