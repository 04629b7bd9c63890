"""``make bench-startup``: what PetSage's start-up time and memory above the FastAPI peer are.

1. Import by import: a fresh interpreter of each contender's environment imports, in turn, what
   the served process imports (the libraries both load, then what only PetSage loads, then
   PetSage's own modules and ``create_app``), and reads its ``VmRSS`` and the clock after each
   step: the MiB and milliseconds each step adds. Median of ``--runs`` runs.
2. ``python -X importtime``, the served process's imports (``petsage.server`` and ``uvicorn``'s
   protocol modules): each top-level package's own import time (``self``), which names what a step
   of 1 is made of. Median of the runs.
3. Start to first 200 and RSS after it, ``petsage serve`` and the peer under uvicorn, interleaved
   (``servers.start``), median of the runs.

Writes ``bench/results/startup.json`` and ``startup.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import servers

BENCH = servers.ROOT / "bench"
SERVICE_PYTHON = BENCH / ".venv-service" / "bin" / "python"
PEERS = BENCH / "peers"

# (label, the statement that runs in the child), cumulative: each step adds to the previous.
SHARED = [
    ("interpreter", "pass"),
    (
        "uvicorn, uvloop, httptools",
        "import uvicorn, uvloop, httptools, uvicorn.protocols.http.httptools_impl",
    ),
    ("starlette", "import starlette.applications, starlette.routing, starlette.responses"),
    ("pydantic", "import pydantic"),
]
PETSAGE_STEPS = [
    *SHARED,
    ("requests (connexion.json_schema: remote $refs)", "import requests"),
    ("httpx (connexion.security: token introspection)", "import httpx"),
    ("httpx2 + starlette.testclient (connexion.apps.abstract)", "import starlette.testclient"),
    ("werkzeug (connexion.lifecycle)", "import werkzeug.datastructures"),
    ("jinja2 (connexion.spec: spec templating)", "import jinja2"),
    ("yaml", "import yaml"),
    ("jsonschema", "import jsonschema"),
    ("connexion", "import connexion, connexion.middleware"),
    ("prometheus_client", "import prometheus_client"),
    ("pydantic-settings, PetSage's settings", "import petsage.settings"),
    ("PetSage's app, request path, health", "import petsage.app"),
    ("PetSage's server (uvicorn's supervisors)", "import petsage.server"),
    (
        "create_app (the contract, its validators)",
        "from petsage.app import create_app; from petsage.settings import Settings; "
        "app = create_app(Settings())",
    ),
]
PEER_STEPS = [
    *SHARED,
    ("fastapi", "import fastapi"),
    ("the peer's app", f"import sys; sys.path.insert(0, {str(PEERS)!r}); import fastapi_peer"),
]

_CHILD = """
import json, sys, time
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
out = []
for label, statement in json.loads(sys.argv[1]):
    started = time.perf_counter()
    exec(statement, {})
    out.append([label, rss(), (time.perf_counter() - started) * 1e3])
print(json.dumps(out))
"""


def import_steps(python: Path, steps: list[tuple[str, str]], runs: int) -> list[dict[str, object]]:
    """Each step's RSS after it (MiB) and its time (ms), medians of ``runs`` fresh interpreters."""
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [str(python), "-W", "ignore", "-c", _CHILD, json.dumps(steps)],
            capture_output=True,
            text=True,
            check=True,
            cwd=servers.ROOT,
        ).stdout
        samples.append(json.loads(output))
    rows = []
    for index, (label, _) in enumerate(steps):
        rss = statistics.median(run[index][1] for run in samples)
        ms = statistics.median(run[index][2] for run in samples)
        rows.append({"step": label, "rss_mib": round(rss, 1), "ms": round(ms, 1)})
    return rows


def import_times(python: Path, module: str, runs: int) -> dict[str, float]:
    """Each top-level package's own import time in ms (``-X importtime``'s self column), median."""
    per_run: list[dict[str, float]] = []
    for _ in range(runs):
        lines = subprocess.run(
            [str(python), "-W", "ignore", "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=servers.ROOT,
        ).stderr.splitlines()
        totals: dict[str, float] = defaultdict(float)
        for line in lines[1:]:
            if not line.startswith("import time:"):
                continue
            own, _, name = line.removeprefix("import time:").split("|")
            totals[name.strip().split(".")[0]] += int(own) / 1e3
        per_run.append(totals)
    packages = set().union(*per_run)
    medians = {p: statistics.median(run.get(p, 0.0) for run in per_run) for p in packages}
    return dict(sorted(medians.items(), key=lambda item: -item[1]))


def start_to_first_200(runs: int) -> dict[str, dict[str, float]]:
    specs = servers.contenders(BENCH / ".venv-service" / "bin" / "petsage", Path(sys.executable))
    quiet = [spec for spec in specs if spec.name in ("petsage", "fastapi")]
    samples: dict[str, list[tuple[float, float]]] = {spec.name: [] for spec in quiet}
    log = BENCH / "results" / "raw" / "startup-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(runs):
        for spec in quiet:
            server = servers.start(spec, servers.free_port(), log)
            try:
                samples[spec.name].append((server.start_seconds, server.rss_mib()))
            finally:
                server.stop()
    return {
        name: {
            "start_seconds": round(statistics.median(s[0] for s in values), 3),
            "rss_mib": round(statistics.median(s[1] for s in values), 1),
        }
        for name, values in samples.items()
    }


def _step_table(rows: list[dict[str, object]]) -> list[str]:
    lines = ["| step | RSS after, MiB | + MiB | ms |", "|---|---:|---:|---:|"]
    previous = 0.0
    for row in rows:
        rss = float(row["rss_mib"])  # type: ignore[arg-type]
        lines.append(f"| {row['step']} | {rss:.1f} | {rss - previous:+.1f} | {row['ms']:.0f} |")
        previous = rss
    return lines


def markdown(result: dict[str, object]) -> str:
    served: dict[str, dict[str, float]] = result["served"]  # type: ignore[assignment]
    ps, peer = served["petsage"], served["fastapi"]
    times: dict[str, float] = result["import_times"]  # type: ignore[assignment]
    top = list(times.items())[:20]
    lines = [
        "# Start-up and memory, accounted",
        "",
        f"`make bench-startup` at `{result['commit']}`, {result['date']}; load average "
        f"{result['load_average']} (2 cores, shared: times move by a third from run to run, the "
        f"MiB much less). Medians of {result['runs']} runs.",
        "",
        "## Served: start to first 200, RSS after it",
        "",
        "| | start to first 200, s | RSS, MiB |",
        "|---|---:|---:|",
        f"| PetSage (`petsage serve`) | {ps['start_seconds']:.3f} | {ps['rss_mib']:.1f} |",
        f"| FastAPI peer (uvicorn) | {peer['start_seconds']:.3f} | {peer['rss_mib']:.1f} |",
        f"| ratio | {ps['start_seconds'] / peer['start_seconds']:.2f}x "
        f"| {ps['rss_mib'] / peer['rss_mib']:.2f}x |",
        "",
        "## Import by import, PetSage (`bench/.venv-service`)",
        "",
        *_step_table(result["petsage_steps"]),  # type: ignore[arg-type]
        "",
        "## Import by import, the FastAPI peer (`bench/.venv-peer`)",
        "",
        *_step_table(result["peer_steps"]),  # type: ignore[arg-type]
        "",
        "## Own import time by top-level package (`-X importtime`, `import petsage.server`)",
        "",
        "| package | ms |",
        "|---|---:|",
        *[f"| {name} | {ms:.1f} |" for name, ms in top],
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    options = parser.parse_args()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": servers.commit(),
        "runs": options.runs,
        "served": start_to_first_200(options.runs),
        "petsage_steps": import_steps(SERVICE_PYTHON, PETSAGE_STEPS, options.runs),
        "peer_steps": import_steps(Path(sys.executable), PEER_STEPS, options.runs),
        "import_times": import_times(SERVICE_PYTHON, "petsage.server", options.runs),
        "load_average": ", ".join(f"{v:.1f}" for v in os.getloadavg()),
    }
    servers.write_results(options.out, "startup", result, markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
