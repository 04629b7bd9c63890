"""``make bench-layers``: the whole request, layer by layer, in the served process under load.

``petsage serve`` (quiet, one worker, pinned to the server core) under wrk on the load core, while
py-spy samples it (``--format raw``: each sample's whole Python stack; idle samples, the loop
waiting in epoll, are left out, so the shares are of CPU time). Each sample is given to one layer:
the innermost frame of the stack that a rule below names decides (so a layer's share is its own
code, what it calls from a library the rules do not name included, and not the layers it calls
into). The server's CPU time per request, measured with h2load over a fixed number of requests
in the same rounds and without py-spy, turns each share into microseconds per request.

``--baseline REF`` measures PetSage as of a git ref beside the working tree, in interleaved
rounds (``servers.source_tree``). Writes ``bench/results/layers.json`` and ``layers.md``.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import h2load
import servers
import wrk

BENCH = servers.ROOT / "bench"
PETSAGE = BENCH / ".venv-service" / "bin" / "petsage"
PY_SPY = Path(sys.executable).with_name("py-spy")

# (layer, where a frame comes from: a piece of its file path, or "path:function"), the first that
# matches a frame wins; the layers in the order a request meets them.
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("logging", ("/logging/",)),
    (
        "metrics (prometheus_client, petsage/middleware/metrics.py)",
        ("prometheus_client/", "petsage/middleware/metrics"),
    ),
    ("access log (petsage/middleware/access_log.py)", ("petsage/middleware/access_log",)),
    ("response hygiene (petsage/middleware/hygiene.py)", ("petsage/middleware/hygiene",)),
    ("PetSage's outer layers (edge, or the seven before it)", ("petsage/middleware/",)),
    (
        "writing responses (petsage/protocol/coalescing.py: the send system call, one a response)",
        ("petsage/protocol/coalescing",),
    ),
    ("HTTP protocol subclass (petsage/protocol/)", ("petsage/protocol/",)),
    ("the handler (petsage/api, petsage/services)", ("petsage/api/", "petsage/services/")),
    (
        "serialisation (pydantic, jsonifier, json)",
        ("pydantic", "petsage/request_path/jsonifier", "/json/"),
    ),
    ("response object (Starlette Response)", ("starlette/responses",)),
    (
        "operation and decorators (Connexion, petsage/request_path/operations)",
        (
            "connexion/decorators/",
            "connexion/apps/",
            "petsage/request_path/operations",
            "petsage/request_path/no_arguments",
            "connexion/operations/",
        ),
    ),
    ("context layer (Connexion)", ("connexion/middleware/context", "connexion/context")),
    ("lifespan layer (Connexion)", ("connexion/middleware/lifespan",)),
    (
        "response validation layer (Connexion)",
        ("connexion/middleware/response_validation", "petsage/request_path/response_validation"),
    ),
    (
        "request validation (Connexion, petsage/request_path/validation)",
        (
            "connexion/middleware/request_validation",
            "connexion/validators/",
            "jsonschema",
            "petsage/request_path/validation",
            "petsage/request_path/parameters",
        ),
    ),
    ("security layer (Connexion)", ("connexion/middleware/security", "connexion/security")),
    (
        "routing (Connexion, Starlette's router)",
        ("connexion/middleware/routing", "starlette/routing", "petsage/request_path/"),
    ),
    (
        "docs layer (Connexion's Swagger UI, petsage/request_path/docs.py)",
        ("connexion/middleware/swagger_ui",),
    ),
    (
        "Connexion's error layers (Starlette's error middlewares)",
        (
            "connexion/middleware/exceptions",
            "starlette/middleware/",
            "starlette/_exception_handler",
            "connexion/middleware/main",
            "connexion/middleware/abstract",
        ),
    ),
    ("uvicorn's HTTP layer (parse, cycle, send)", ("uvicorn/",)),
    ("event loop (asyncio, uvloop)", ("asyncio/", "uvloop/")),
]
OTHER = "other (Starlette datastructures, typing, ...)"


def layer_of(stack: list[str]) -> str:
    """The layer of the innermost frame a rule names (py-spy frames: ``function (file:line)``)."""
    for frame in reversed(stack):
        location = frame.rpartition(" (")[2]
        for layer, pieces in RULES:
            if any(piece in location for piece in pieces):
                return layer
    return OTHER


def attribute(collapsed: str) -> dict[str, float]:
    """Each layer's share of the samples of py-spy's raw output. Only whole stacks count (one
    read while the process ran on can come out half unwound, not starting at the module)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack.startswith("<module>"):
            counts[layer_of(stack.split(";"))] += int(count)
    total = sum(counts.values())
    return {layer: counts[layer] / total for layer in [*(r[0] for r in RULES), OTHER]}


def _profile(server: servers.RunningServer, url: str, seconds: float, raw: Path) -> str:
    load = threading.Thread(target=wrk.run, args=(url, seconds + 2))
    load.start()
    time.sleep(1)
    target = ["--pid", str(server.process.pid), "--duration", f"{seconds:g}", "--rate", "250"]
    subprocess.run(
        [
            "taskset",
            "-c",
            wrk.LOAD_CORE,
            str(PY_SPY),
            "record",
            *target,
            "--format",
            "raw",
            "--output",
            str(raw),
        ],
        capture_output=True,
        check=True,
        timeout=seconds + 60,
    )
    load.join()
    return raw.read_text()


def _contenders(stack: ExitStack, baseline: str | None) -> Iterator[servers.ServerSpec]:
    yield servers.ServerSpec("petsage", "PetSage (this tree)", (str(PETSAGE), "serve"))
    if baseline:
        tree = stack.enter_context(servers.source_tree(baseline))
        env = (("PYTHONPATH", str(tree)),)
        yield servers.ServerSpec("baseline", f"PetSage at {baseline}", (str(PETSAGE), "serve"), env)


def measure(rounds: int, seconds: float, requests: int, baseline: str | None) -> dict[str, object]:
    raw_dir = BENCH / "results" / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        specs = list(_contenders(stack, baseline))
        cpu: dict[str, list[float]] = {spec.name: [] for spec in specs}
        shares: dict[str, list[dict[str, float]]] = {spec.name: [] for spec in specs}
        for round_ in range(rounds):
            for spec in specs:
                server = servers.start(spec, servers.free_port(), Path(tmp, f"{spec.name}.log"))
                try:
                    url = f"http://127.0.0.1:{server.port}{spec.smoke_path}"
                    wrk.run(url, 2)  # warm-up
                    before = server.cpu_seconds()
                    counts = h2load.parse(h2load.run(url, requests))
                    cpu[spec.name].append((server.cpu_seconds() - before) / counts.requests * 1e6)
                    raw = raw_dir / f"layers-{spec.name}-{round_}.txt"
                    shares[spec.name].append(attribute(_profile(server, url, seconds, raw)))
                finally:
                    server.stop()
                print(
                    f"round {round_ + 1}/{rounds} {spec.name}: "
                    f"{cpu[spec.name][-1]:.0f} us CPU/request",
                    flush=True,
                )
    result: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": servers.commit(),
        "load_average": os.getloadavg(),
        "rounds": rounds,
        "profile_seconds": seconds,
        "requests": requests,
        "labels": {spec.name: spec.label for spec in specs},
        "cpu_us_per_request": cpu,
        "median_cpu_us": {name: statistics.median(values) for name, values in cpu.items()},
        # Each layer's share: the median over rounds.
        "shares": {
            name: {layer: statistics.median(s[layer] for s in runs) for layer in runs[0]}
            for name, runs in shares.items()
        },
    }
    return result


def markdown(result: dict[str, object]) -> str:
    names = list(result["labels"])  # type: ignore[call-overload]
    labels, cpu, shares = result["labels"], result["median_cpu_us"], result["shares"]
    load = ", ".join(f"{value:.1f}" for value in result["load_average"])  # type: ignore[attr-defined]
    lines = [
        "# The whole request, layer by layer",
        "",
        f"`make bench-layers` at `{result['commit']}`, {result['date']}; load average at the end "
        f"{load} (2 cores, shared). `petsage serve` (quiet, one worker) on core 0, wrk "
        f"(32 connections, smoke test) and py-spy on core 1; {result['rounds']} interleaved "
        f"rounds, medians. CPU per request: h2load, {result['requests']:,} requests, the "
        "server's utime + stime from /proc, without py-spy. A layer's share: the samples whose "
        "innermost frame it names (its own code and the libraries it calls that no other rule "
        "names), over all non-idle samples; µs = share x CPU per request.",
        "",
        "| layer | " + " | ".join(f"{labels[n]} share | µs" for n in names) + " |",  # type: ignore[index]
        "|---|" + "---:|---:|" * len(names),
    ]
    for layer in shares[names[0]]:  # type: ignore[index]
        cells = []
        for name in names:
            share = shares[name][layer]  # type: ignore[index]
            cells.append(f"{share:.1%} | {share * cpu[name]:.1f}")  # type: ignore[index]
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")
    lines.append(
        "| **CPU per request** | "
        + " | ".join(f"100% | **{cpu[name]:.0f}**" for name in names)  # type: ignore[index]
        + " |"
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="py-spy's sampling time")
    parser.add_argument("--requests", type=int, default=20000, help="h2load's, for CPU/request")
    parser.add_argument("--baseline", help="a git ref: PetSage as of it, measured beside")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    options = parser.parse_args()
    result = measure(options.rounds, options.seconds, options.requests, options.baseline)
    servers.write_results(options.out, "layers", result, markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
