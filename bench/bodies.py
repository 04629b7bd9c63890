"""``make bench-bodies``: server CPU per request for a POST with a JSON body, PetSage against
Connexion's stock ``AsyncApp``, both serving the conformance contract on the same uvicorn,
httptools and uvloop, in interleaved rounds; the report is the median over rounds.

Each round starts every contender afresh, pinned to the server core, warms it up, then sends it a
fixed number of ``POST /conformance/echo/{day}`` with a ``VisitInput`` body (an enum, formats, a
nested object) with h2load while reading its CPU time from /proc. The contenders:

- ``petsage``: as served (``python -m tests.conformance serve``): access line per request and
  metrics, its HTTP layer's bounds;
- ``petsage-bare``: the same without access lines (``PETSAGE_LOG_LEVEL=warning``) and metrics:
  the request path alone;
- ``connexion``: ``connexion.AsyncApp`` with the same contract and handlers, uvicorn's own
  protocol, no access log (``stock_app`` below).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import h2load
import servers
import wrk

PATH = "/conformance/echo/2026-02-28"
BODY = {
    "pet_name": "Rex",
    "species": "dog",
    "date": "2026-02-28",
    "scheduled_at": "2026-02-28T10:30:00Z",
    "owner_email": "owner@example.org",
    "weight_kg": 12.5,
    "vaccinated": True,
    "tags": ["checkup", "teeth"],
    "clinic": {"name": "Paws", "website": "https://paws.example.org/", "ipv4": "10.0.0.1"},
}
MODES = {"full": {"rounds": 5, "requests": 20000}, "quick": {"rounds": 2, "requests": 4000}}


def stock_app() -> Any:
    """Connexion's stock ``AsyncApp`` serving the conformance contract (``uvicorn --factory``)."""
    from connexion import AsyncApp

    from petsage.request_path.resolver import ControllerResolver
    from petsage.request_path.services import SERVICES_STATE
    from tests.conformance import conformance_document
    from tests.conformance.visits import visit_services

    @contextlib.asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[dict[str, object]]:
        async with visit_services() as built:
            yield {SERVICES_STATE: built}

    app = AsyncApp(__name__, lifespan=lifespan)
    app.add_api(conformance_document(), resolver=ControllerResolver())
    return app


def contenders() -> list[servers.ServerSpec]:
    python = sys.executable
    petsage = (python, "-m", "tests.conformance", "serve")
    bench = str(servers.ROOT / "bench")
    # servers' uvicorn command line: the same one run.py's peers are served with.
    stock = (python, *servers._UVICORN, "--no-access-log", "--factory", "--app-dir", bench)
    bare = (("PETSAGE_LOG_LEVEL", "warning"), ("PETSAGE_METRICS", "false"))
    return [
        servers.ServerSpec("petsage", "PetSage as served", petsage, smoke_path=PATH),
        servers.ServerSpec("petsage-bare", "PetSage, no log or metrics", petsage, bare, PATH),
        servers.ServerSpec(
            "connexion", "Connexion AsyncApp", (*stock, "bodies:stock_app"), smoke_path=PATH
        ),
    ]


def _post(port: int, body_file: Path, requests: int) -> h2load.H2loadResult:
    argv = ["taskset", "-c", wrk.LOAD_CORE, "h2load", "--h1", "-t1", f"-c{wrk.CONNECTIONS}"]
    argv += ["-H", "content-type: application/json", "-d", str(body_file), f"-n{requests}"]
    output = subprocess.run(
        [*argv, f"http://127.0.0.1:{port}{PATH}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return h2load.parse(output)


def _cpu_us_per_request(server: servers.RunningServer, body_file: Path, requests: int) -> float:
    _post(server.port, body_file, requests // 4)  # warm-up
    before = server.cpu_seconds()
    counts = _post(server.port, body_file, requests)
    used = server.cpu_seconds() - before
    if counts.failed:
        raise RuntimeError(f"{server.spec.name}: {counts.failed} of {counts.requests} not 2xx")
    return used / counts.requests * 1e6


def measure(mode: dict[str, int], workdir: Path) -> dict[str, list[float]]:
    body_file = workdir / "body.json"
    body_file.write_text(json.dumps(BODY))
    samples: dict[str, list[float]] = {spec.name: [] for spec in contenders()}
    for round_ in range(mode["rounds"]):
        for spec in contenders():
            log = workdir / f"{spec.name}-{round_}.log"
            server = servers.start(spec, servers.free_port(), log)
            try:
                samples[spec.name].append(_cpu_us_per_request(server, body_file, mode["requests"]))
            finally:
                server.stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 4000 requests")
    parser.add_argument("--out", type=Path, help="also write the samples and medians as JSON")
    arguments = parser.parse_args()
    mode = MODES["quick" if arguments.quick else "full"]
    with tempfile.TemporaryDirectory(prefix="bench-bodies-") as tmp:
        samples = measure(mode, Path(tmp))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"POST {PATH}, {mode['requests']} requests x {mode['rounds']} rounds, server CPU:")
    print("| contender | CPU µs/request (median) | samples |")
    print("|---|---|---|")
    for spec in contenders():
        values = ", ".join(f"{value:.0f}" for value in samples[spec.name])
        print(f"| {spec.label} | {medians[spec.name]:.1f} | {values} |")
    if arguments.out:
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(
            json.dumps({"mode": mode, "samples": samples, "medians": medians}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
