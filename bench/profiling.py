"""``make bench-profile``: where the time goes, in process and under load.

1. ``inprocess.py`` with each contender's interpreter: CPU time and Python calls per smoke-test
   request for Connexion's defaults, each step of the lean path, the FastAPI peer and raw ASGI.
2. py-spy sampling PetSage while wrk loads it: the share of samples under each frame.
Writes ``bench/results/profile.md``.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import servers
import wrk

BENCH = servers.ROOT / "bench"
SERVICE_PYTHON = BENCH / ".venv-service" / "bin" / "python"
# The frames that say where a request's time goes, in the order a request meets them.
FRAMES = [
    "RequestResponseCycle.run_asgi",
    "ServerErrorMiddleware.__call__",
    "ExceptionMiddleware.__call__",
    "DocsMiddleware.__call__",
    "SwaggerUIMiddleware.__call__",
    "RoutingMiddleware.__call__",
    "RequestValidationOperation.__call__",
    "PrebuiltValidationOperation.__call__",
    "ContextOperation.__call__",
    "AsyncOperation.__call__",
    "PrebuiltOperation.__call__",
    "ASGIDecorator.__call__.<locals>.wrapper",
    "BaseDecorator.decorate",
    "AsyncParameterDecorator.__call__.<locals>.wrapper",
    "AsyncResponseDecorator.__call__.<locals>.wrapper",
    "get_smoke_test",
    "Response.__call__",
    "RequestResponseCycle.send",
    "Logger.info",
]


def in_process() -> list[dict[str, object]]:
    rows = []
    for python, variants in (
        (SERVICE_PYTHON, ["connexion", "handler-chain", "validation", "lean"]),
        (Path(sys.executable), ["fastapi", "raw"]),
    ):
        output = subprocess.run(
            [str(python), "-W", "ignore", str(BENCH / "inprocess.py"), *variants],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout
        rows += [json.loads(line) for line in output.splitlines()]
    return rows


def shares(collapsed: str) -> dict[str, float]:
    """Share of samples with each frame of ``FRAMES`` on the stack (py-spy's raw format).

    Only whole stacks count: a stack read while the process runs on can come out half unwound,
    no longer starting at the module (py-spy pauses the process for each sample to avoid that)."""
    total, hits = 0, collections.Counter[str]()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack.startswith("<module>"):
            continue
        functions = {re.sub(r" \(.*$", "", frame) for frame in stack.split(";")}
        total += int(count)
        for frame in FRAMES:
            if frame in functions:
                hits[frame] += int(count)
    return {frame: hits[frame] / total for frame in FRAMES if hits[frame]}


def under_load(petsage: Path, seconds: float) -> dict[str, float]:
    spec = servers.contenders(petsage, Path(sys.executable))[0]
    with tempfile.TemporaryDirectory() as tmp:
        server = servers.start(spec, servers.free_port(), Path(tmp, "server.log"))
        try:
            url = f"http://127.0.0.1:{server.port}{spec.smoke_path}"
            wrk.run(url, 2)
            load = threading.Thread(target=wrk.run, args=(url, seconds + 2))
            load.start()
            raw = BENCH / "results" / "raw" / "profile.txt"  # kept for a closer look
            raw.parent.mkdir(parents=True, exist_ok=True)
            py_spy = str(Path(sys.executable).with_name("py-spy"))
            target = ["--pid", str(server.process.pid), "--duration", f"{seconds:g}"]
            output = ["--format", "raw", "--output", str(raw)]
            subprocess.run(
                [py_spy, "record", *target, "--rate", "250", *output],
                capture_output=True,
                check=True,
                timeout=seconds + 60,
            )
            load.join()
            return shares(raw.read_text())
        finally:
            server.stop()


def markdown(rows: list[dict[str, object]], load: dict[str, float], petsage: Path) -> str:
    lines = [
        "## The app layer alone (`bench/inprocess.py`)",
        "",
        "CPU time and Python function calls per `GET /api/v1/smoke-test`, the ASGI app called in",
        "process (no server, no access log, no load generator); best of 5 runs.",
        "",
        "| variant | CPU µs/request | calls/request |",
        "|---|---:|---:|",
        *[f"| {r['label']} | {r['cpu_us']:.0f} | {r['calls']:.0f} |" for r in rows],
        "",
        f"## PetSage under load (`py-spy` while wrk runs; `{petsage.parent.parent.name}`)",
        "",
        "Share of samples with the frame on the stack (a frame's share includes its callees).",
        "",
        "| frame | share |",
        "|---|---:|",
        *[f"| `{frame}` | {share:.0%} |" for frame, share in load.items()],
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--petsage", type=Path, default=BENCH / ".venv-service" / "bin" / "petsage")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "profile.md")
    options = parser.parse_args()
    text = markdown(in_process(), under_load(options.petsage, options.seconds), options.petsage)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
