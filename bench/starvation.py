"""Probes under saturation, and what the metrics cost: `make bench-starvation`.

1. Starvation. `petsage serve` pinned to core 0, with 1 worker (and a management port) and with 2
   (where the settings refuse one), while wrk holds 2,000 keep-alive connections on the main
   port's smoke test (core 1). Meanwhile fresh-connection probers, as a kubelet or a load balancer
   would, each on a schedule of its own and each probe on a new connection: management-port
   liveness (target p99 <= 100 ms, 0 failures), the main port's smoke test (target p99 <= 1 s,
   0 failures) and the main port's liveness. A failure is no 200 within the probe's timeout. The
   longest listen queue seen (``ss``, once a second) says whether connections wait unaccepted.
   ``--baseline REF`` runs each scenario on PetSage as of REF too (``servers.source_tree``): the
   keep-alive throughput and the probes before and after, in the same run.
2. The metrics' CPU cost. The same server with PETSAGE_METRICS true and false, interleaved rounds:
   h2load sends a fixed number of smoke tests; the server's CPU time (utime + stime from
   /proc/PID/stat) over them, per request. Target: metrics cost at most 10 % more. On a shared
   machine that figure moves with the neighbours, so the app layer's own CPU per request, in
   process (bench/inprocess.py, best of 5), is given for both too: the difference is what the
   metrics add to each request.

Writes bench/results/starvation.json and starvation.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inprocess import measure
from servers import ROOT, ServerSpec, commit, free_port, source_tree, start
from wrk import LOAD_CORE, parse

RESULTS = ROOT / "bench" / "results"
RAW = RESULTS / "raw"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ProbeSeries:
    """One prober's observations: seconds to a complete answer, and the failures."""

    name: str
    target_p99_ms: float
    timeout: float
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies_ms)

        def quantile(q: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        p99 = quantile(0.99)
        return {
            "name": self.name,
            "probes": len(self.latencies_ms) + len(self.failures),
            "answered": len(self.latencies_ms),
            "failures": len(self.failures),
            "failure_kinds": sorted(set(self.failures)),
            "p50_ms": quantile(0.50),
            "p99_ms": p99,
            "max_ms": round(ordered[-1], 1) if ordered else None,
            "timeout_s": self.timeout,
            "target_p99_ms": self.target_p99_ms,
            "met": bool(p99 is not None and p99 <= self.target_p99_ms and not self.failures),
        }


def _probe_once(port: int, path: str, timeout: float) -> tuple[float | None, str | None]:
    """One GET on a new connection: milliseconds to the whole answer, or why it failed."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    started = time.perf_counter()
    deadline = started + timeout
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(request)
            data = b""
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return None, "timeout"
                sock.settimeout(remaining)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except TimeoutError:
        return None, "timeout"
    except OSError as error:
        return None, type(error).__name__
    elapsed = (time.perf_counter() - started) * 1000
    status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/1.1 ") else b"?"
    if status != b"200":
        return None, f"status {status.decode(errors='replace')}"
    return elapsed, None


def _prober(
    series: ProbeSeries, port: int, path: str, period: float, stop: threading.Event
) -> None:
    """Start a probe every ``period`` seconds, each in its own thread (a slow one does not delay
    the next, as with the kubelet's periodic probes)."""

    def one() -> None:
        latency, failure = _probe_once(port, path, series.timeout)
        if failure is None and latency is not None:
            series.latencies_ms.append(latency)
        else:
            series.failures.append(failure or "unknown")

    with ThreadPoolExecutor(max_workers=64) as pool:
        next_at = time.perf_counter()
        while not stop.is_set():
            pool.submit(one)
            next_at += period
            stop.wait(max(0.0, next_at - time.perf_counter()))


def _petsage(bin_dir: Path, workers: int = 1, env: tuple[tuple[str, str], ...] = ()) -> ServerSpec:
    argv = (str(bin_dir / "petsage"), "serve", "--workers", str(workers))
    return ServerSpec("petsage", "PetSage", argv, env, smoke_path="/api/v1/smoke-test")


def starvation(
    bin_dir: Path,
    seconds: float,
    connections: int,
    workers: int = 1,
    env: tuple[tuple[str, str], ...] = (),
) -> dict[str, object]:
    """The scenario on ``workers`` processes (a management listener with one: with several,
    the settings refuse one), ``env`` added to the server's environment."""
    port = free_port()
    management = free_port() if workers == 1 else None
    os.environ["PETSAGE_LOG_LEVEL"] = "warning"
    if management is not None:
        os.environ["PETSAGE_MANAGEMENT_PORT"] = str(management)
    probes = [
        ProbeSeries("main smoke test (fresh connection)", 1000.0, 5.0),
        ProbeSeries("main liveness (fresh connection)", 1000.0, 5.0),
    ]
    # The main port's probers every 0.25 s each, the rate of a handful of checkers and enough
    # samples for a p99; the management prober every 0.1 s.
    targets = [(port, "/api/v1/smoke-test", 0.25), (port, "/api/v1/health/live", 0.25)]
    if management is not None:
        probes.insert(0, ProbeSeries("management liveness (fresh connection)", 100.0, 1.0))
        targets.insert(0, (management, "/api/v1/health/live", 0.1))
    server = start(_petsage(bin_dir, workers, env), port, RAW / f"starvation-{workers}.log")
    url = f"http://127.0.0.1:{port}/api/v1/smoke-test"
    wrk_argv = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    try:
        load = subprocess.Popen(
            [*wrk_argv, "--latency", "--timeout", "10s", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(3)  # wrk opens its connections and the main loop saturates
        stop = threading.Event()
        threads = [
            threading.Thread(target=_prober, args=(series, target_port, path, period, stop))
            for series, (target_port, path, period) in zip(probes, targets, strict=True)
        ]
        for thread in threads:
            thread.start()
        ends, backlog = time.monotonic() + max(1.0, seconds - 5), 0
        while time.monotonic() < ends:  # the longest listen queue seen, once a second
            backlog = max(backlog, _listen_queue(port) or 0)
            time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join()
        output, _ = load.communicate(timeout=seconds + 60)
        if load.returncode != 0:
            raise RuntimeError(f"wrk exited with {load.returncode}:\n{output}")
    finally:
        server.stop()
        os.environ.pop("PETSAGE_MANAGEMENT_PORT", None)
    (RAW / f"starvation-{workers}-wrk.txt").write_text(output)
    # Latencies in whole seconds come with a trailing space, which bench/wrk.py's pattern refuses.
    wrk = parse("\n".join(line.rstrip() for line in output.splitlines()))
    return {
        "workers": workers,
        "connections": connections,
        "seconds": seconds,
        "listen_queue_max": backlog,
        "wrk": {**asdict(wrk)},
        "probes": [series.summary() for series in probes],
    }


def _listen_queue(port: int) -> int | None:
    """Connections waiting in the main port's listen queue now (``ss``: Recv-Q of the listener)."""
    output = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True
    ).stdout.split()
    return int(output[1]) if len(output) > 1 else None


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _h2load(url: str, requests: int) -> str:
    argv = ["taskset", "-c", LOAD_CORE, "h2load", "--h1", "-n", str(requests), "-c", "32"]
    return subprocess.run(
        [*argv, url], capture_output=True, text=True, check=True, timeout=600
    ).stdout


def metrics_cost(bin_dir: Path, requests: int, rounds: int) -> dict[str, object]:
    samples: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(rounds):
        for mode in ("on", "off"):
            os.environ["PETSAGE_METRICS"] = "true" if mode == "on" else "false"
            port = free_port()
            server = start(_petsage(bin_dir), port, RAW / f"metrics-{mode}-server.log")
            try:
                url = f"http://127.0.0.1:{port}/api/v1/smoke-test"
                _h2load(url, requests // 10)  # warm-up
                before = _cpu_seconds(server.process.pid)
                report = _h2load(url, requests)
                spent = _cpu_seconds(server.process.pid) - before
            finally:
                server.stop()
            if f"{requests} succeeded" not in report:
                raise RuntimeError(f"h2load did not get {requests} answers:\n{report}")
            samples[mode].append(spent / requests * 1e6)
    del os.environ["PETSAGE_METRICS"]
    on, off = statistics.median(samples["on"]), statistics.median(samples["off"])
    app_on, app_off = _in_process(rounds)
    return {
        "in_process_us": {"on": round(app_on, 2), "off": round(app_off, 2)},
        "in_process_added_us": round(app_on - app_off, 2),
        "in_process_added_of_server_cpu": round((app_on - app_off) / off, 4),
        "requests_per_round": requests,
        "rounds": rounds,
        "cpu_us_per_request": {
            mode: [round(v, 2) for v in values] for mode, values in samples.items()
        },
        "median_on_us": round(on, 2),
        "median_off_us": round(off, 2),
        "overhead_ratio": round(on / off - 1, 4),
        "target_overhead": 0.10,
        "met": on / off - 1 <= 0.10,
    }


def _in_process(rounds: int) -> tuple[float, float]:
    """The app layer's CPU per smoke test in process, metrics on and off (the best rounds)."""
    from petsage.app import create_app
    from petsage.settings import Settings

    best = {True: float("inf"), False: float("inf")}
    for _ in range(rounds):
        for metrics in (True, False):
            app = create_app(Settings(metrics=metrics))
            result = asyncio.run(measure(app, 20_000, "/api/v1/smoke-test"))
            best[metrics] = min(best[metrics], result["cpu_us"])
    return best[True], best[False]


def _scenario_markdown(starved: dict[str, Any]) -> list[str]:
    wrk = starved["wrk"]
    lines = [
        f"### {starved['tree']}, {starved['workers']} worker(s)",
        "",
        f"wrk: {wrk['requests_per_second']:,.0f} req/s, p99 {wrk['p99_ms']:.0f} ms, "
        f"{wrk['errors']} errors, over {starved['seconds']:g} s; longest listen queue "
        f"(once a second): {starved['listen_queue_max']}.",
        "",
        "| fresh-connection prober | probes | failures | p50 ms | p99 ms | max ms | target | met |",
        "|---|---:|---:|---:|---:|---:|---|:---:|",
    ]
    for probe in starved["probes"]:
        lines.append(
            f"| {probe['name']} | {probe['probes']} | {probe['failures']} | {probe['p50_ms']} "
            f"| {probe['p99_ms']} | {probe['max_ms']} | p99 <= {probe['target_p99_ms']:g} ms, "
            f"0 failures (timeout {probe['timeout_s']:g} s) | {'yes' if probe['met'] else 'no'} |"
        )
    return [*lines, ""]


def _summary(scenarios: list[dict[str, Any]]) -> list[str]:
    """One line per scenario: keep-alive throughput (and its ratio to the baseline's with as
    many workers) and the main port's fresh smoke tests."""
    baseline = {s["workers"]: s["wrk"]["requests_per_second"] for s in scenarios if s["baseline"]}
    lines = [
        "| server | workers | keep-alive req/s | vs baseline | listen queue | main smoke test "
        "p99 ms | failures / probes | management p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scenarios:
        probes = {p["name"].split(" (")[0]: p for p in s["probes"]}
        smoke, management = probes["main smoke test"], probes.get("management liveness")
        rps = s["wrk"]["requests_per_second"]
        ratio = f"{rps / baseline[s['workers']]:.2f}x" if s["workers"] in baseline else "-"
        lines.append(
            f"| {s['tree']} | {s['workers']} | {rps:,.0f} | {ratio} | {s['listen_queue_max']} "
            f"| {smoke['p99_ms']} | {smoke['failures']} / {smoke['probes']} "
            f"| {management['p99_ms'] if management else '-'} |"
        )
    return [*lines, ""]


def _markdown(result: dict[str, Any]) -> str:
    scenarios, cost = result["starvation"], result["metrics_cost"]
    lines = [
        "# Probes under saturation, and the metrics' CPU cost",
        "",
        f"`{result['command']}` at commit `{result['commit']}`; server on core 0, load on core 1; "
        f"load average at the end {result['load_average']} (2 cores, shared).",
        "",
        f"## {scenarios[0]['connections']:,} keep-alive clients on the main port's smoke test",
        "",
        "Targets: the main port's fresh-connection smoke tests p99 <= 1 s with 0 failures, for 1 "
        "and 2 workers, with the keep-alive throughput >= 0.9x the baseline's (the tree before "
        "batch accept, measured in the same run).",
        "",
        *_summary(scenarios),
    ]
    for starved in scenarios:
        lines += _scenario_markdown(starved)
    if cost is None:
        return "\n".join(lines)
    lines += [
        "## CPU per smoke-test request, metrics on vs off",
        "",
        f"{cost['rounds']} interleaved rounds of {cost['requests_per_round']:,} requests "
        "(h2load --h1 -c 32), server CPU (utime + stime) from /proc.",
        "",
        "| metrics | CPU µs per request (median) | every round |",
        "|---|---:|---|",
        f"| on | {cost['median_on_us']} | {cost['cpu_us_per_request']['on']} |",
        f"| off | {cost['median_off_us']} | {cost['cpu_us_per_request']['off']} |",
        "",
        f"Overhead: {cost['overhead_ratio']:.1%} (target <= 10 %: "
        f"{'met' if cost['met'] else 'not met'}).",
        "",
        "The app layer alone, in process (best of the rounds, 20,000 requests each): "
        f"{cost['in_process_us']['on']} µs with metrics, {cost['in_process_us']['off']} µs "
        f"without: the metrics add {cost['in_process_added_us']} µs a request, "
        f"{cost['in_process_added_of_server_cpu']:.1%} of the server's CPU per request "
        "without them.",
        "",
    ]
    return "\n".join(lines)


def _scenarios(options: argparse.Namespace) -> list[dict[str, Any]]:
    """Each number of workers, this tree then (with ``--baseline``) the baseline's."""
    scenarios = []
    with contextlib.ExitStack() as stack:
        trees: list[tuple[str, tuple[tuple[str, str], ...], bool]] = [("this tree", (), False)]
        if options.baseline:
            tree = stack.enter_context(source_tree(options.baseline))
            trees.append((f"baseline {options.baseline}", (("PYTHONPATH", str(tree)),), True))
        for workers in options.workers:
            for name, env, is_baseline in trees:
                scenario = starvation(
                    options.bin, options.seconds, options.connections, workers, env
                )
                scenarios.append(scenario | {"tree": name, "baseline": is_baseline})
                print(*_scenario_markdown(scenarios[-1]), sep="\n", flush=True)
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=Path, default=ROOT / "bench" / ".venv-service" / "bin")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline", help="a git ref: PetSage as of it, measured beside")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="of the metrics' cost; 0: skip it")
    options = parser.parse_args()
    RAW.mkdir(parents=True, exist_ok=True)
    # The probers and the load share the load core: core 0 is the server's alone.
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    scenarios = _scenarios(options)
    cost = metrics_cost(options.bin, options.requests, options.rounds) if options.rounds else None
    result = {
        "command": "make bench-starvation",
        "commit": commit(),
        "load_average": ", ".join(f"{v:.1f}" for v in os.getloadavg()),
        "starvation": scenarios,
        "metrics_cost": cost,
    }
    (RESULTS / "starvation.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "starvation.md").write_text(_markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
