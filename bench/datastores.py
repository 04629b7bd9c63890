"""Readiness latency with a real PostgreSQL and Redis checked, results cached and not.

Starts both servers (Debian's packages, as the tests do), then `petsage serve` three times: with
no dependency check, with both checks at `ttl = 0` (every probe logs nothing in, but runs
`SELECT 1` and `PING` on the reused sessions) and at `ttl = 60` (probes read the cached results).
Each time it sends N sequential `GET /api/v1/health/ready` on one keep-alive connection after a
warm-up, and reports the median and p90 in milliseconds. Also prints the `output` each failure
gives (refused, authentication failed, a failed query, timeout) as a user sees it.

    .venv/bin/python bench/datastores.py --requests 2000     # or: make bench-datastores
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # tests.services: the servers the tests start

from petsage.testing import LiveServer, free_port, running_server  # noqa: E402
from tests.services.datastores import Postgres, Redis, running_postgres, running_redis  # noqa: E402


def _config(folder: Path, postgres: Postgres, redis: Redis, ttl: float | None) -> Path:
    path = folder / f"ttl-{ttl}.toml"
    (folder / "pg").write_text(postgres.password)
    (folder / "rd").write_text(redis.password)
    if ttl is None:
        path.write_text("")
        return path
    path.write_text(
        f'[[health.checks]]\nname = "pet-db"\ntype = "postgres"\ntarget = "{postgres.url}"\n'
        f'password_file = "{folder / "pg"}"\nttl = {ttl}\n\n'
        f'[[health.checks]]\nname = "cache"\ntype = "redis"\ntarget = "{redis.url}"\n'
        f'password_file = "{folder / "rd"}"\nttl = {ttl}\n'
    )
    return path


def _latencies(server: LiveServer, requests: int, warmup: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    samples = []
    for index in range(warmup + requests):
        started = time.perf_counter()
        connection.request("GET", "/api/v1/health/ready")
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"readiness answered {response.status}")
        if index >= warmup:
            samples.append(elapsed)
    connection.close()
    return samples


# The failure reasons are in the full documents only: asked with the health token.
_TOKEN = "bench-health-token"  # noqa: S105 - a token of this run's own server


def _output(server: LiveServer, check: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "GET", f"/api/v1/health/ready/{check}", headers={"Authorization": f"Bearer {_TOKEN}"}
    )
    body = json.loads(connection.getresponse().read())
    connection.close()
    (result,) = body["checks"][f"{check}:responseTime"]
    return str(result.get("output"))


def _failures(folder: Path, postgres: Postgres, redis: Redis) -> list[tuple[str, str, str]]:
    """(type, failure, output) for each failure, from a live `petsage serve`."""
    refused = free_port()
    config = folder / "failures.toml"
    (folder / "wrong").write_text("not-the-password")
    tables = [
        ("pg-refused", "postgres", f"postgresql://checker@127.0.0.1:{refused}/postgres", "pg"),
        ("pg-auth", "postgres", postgres.url, "wrong"),
        ("pg-timeout", "postgres", postgres.url, "pg"),
        ("pg-query", "postgres", postgres.url, "pg"),
        ("rd-refused", "redis", f"redis://127.0.0.1:{refused}/0", "rd"),
        ("rd-auth", "redis", redis.url, "wrong"),
        ("rd-timeout", "redis", redis.url, "rd"),
        ("rd-query", "redis", redis.url.replace("//", "//checker@"), "rd"),
    ]
    config.write_text(
        "".join(
            f'[[health.checks]]\nname = "{name}"\ntype = "{kind}"\ntarget = "{target}"\n'
            f'password_file = "{folder / secret}"\ntimeout = 0.5\nttl = 0\n\n'
            for name, kind, target, secret in tables
        )
    )
    # A Redis user that may log in but not PING: the query itself is refused.
    redis.cli("ACL", "SETUSER", "checker", "on", f">{redis.password}", "-@all")
    seen = []
    (folder / "health-token").write_text(_TOKEN)
    env = {"PETSAGE_HEALTH_TOKEN_FILE": str(folder / "health-token")}
    with running_server("--config", str(config), "--log-level", "warning", env=env) as server:
        for name in ("pg-refused", "pg-auth", "rd-refused", "rd-auth", "rd-query"):
            seen.append((name, _output(server, name)))
        with postgres.queries_fail():  # the server cancels SELECT 1 (statement_timeout)
            seen.append(("pg-query", _output(server, "pg-query")))
        _output(server, "pg-timeout")  # sessions open, then the servers freeze
        _output(server, "rd-timeout")
        backend = int(postgres.sql("SELECT pid FROM pg_stat_activity WHERE usename = 'checker'"))
        for name, pid in (("pg-timeout", backend), ("rd-timeout", redis.process.pid)):
            os.kill(pid, signal.SIGSTOP)
            try:
                seen.append((name, _output(server, name)))
            finally:
                os.kill(pid, signal.SIGCONT)
    redis.cli("ACL", "DELUSER", "checker")
    return [(name.split("-")[0], name.split("-")[1], output) for name, output in seen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_postgres() as postgres,
        running_redis() as redis,
    ):
        folder = Path(tmp)
        print(f"{options.requests} sequential GET /api/v1/health/ready, one connection")
        print("| checks | median ms | p90 ms |\n|---|---:|---:|")
        for label, ttl in (("none", None), ("both, uncached (ttl 0)", 0.0), ("both, cached", 60.0)):
            config = _config(folder, postgres, redis, ttl)
            with running_server("--config", str(config), "--log-level", "warning") as server:
                samples = _latencies(server, options.requests, options.warmup)
            p90 = statistics.quantiles(samples, n=10)[-1]
            print(f"| {label} | {statistics.median(samples):.3f} | {p90:.3f} |")
        print("\n| type | failure | output |\n|---|---|---|")
        for kind, failure, output in _failures(folder, postgres, redis):
            print(f"| {kind} | {failure} | `{output}` |")


if __name__ == "__main__":
    main()
