"""Checks written in Python, loaded by `petsage serve` from PETSAGE_CHECKS or an entry point:
they run in readiness, and the server keeps its hardening, drain and quiet probes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petsage.testing import LiveServer, free_port, running_server
from tests.conftest import HEALTH_TOKEN
from tests.live.command import run_petsage
from tests.live.raw import exchange
from tests.live.test_health import _get

# A plug-in module as a user writes it: one check lifted from a function, one full Registration.
# `gate` fails while the file FAIL_FILE names exists, so the test can turn it on and off.
PLUGIN = """
import os
from pathlib import Path

from petsage.health import CheckResult, Registration, named_check


async def _gate() -> CheckResult | None:
    if Path(os.environ["FAIL_FILE"]).exists():
        return CheckResult(status="fail", output="gate closed")
    return None


gate = named_check("gate", _gate)
checks = [Registration(named_check("cache-warm", lambda: None), timeout=0.5, ttl=5)]
not_a_check = 42
"""

# A check that, like an asyncpg or redis pool, binds to the event loop it first runs on and
# fails on any other; it writes a line when closed, saying on which loop.
LOOP_BOUND = """
import asyncio

from petsage.health import CheckResult


class Pool:
    name = "pool"

    def __init__(self) -> None:
        self.loop = None

    async def check(self) -> CheckResult:
        loop = asyncio.get_running_loop()
        self.loop = self.loop or loop
        if loop is not self.loop:
            raise RuntimeError("called from 2 event loops")
        return CheckResult()

    async def aclose(self) -> None:
        same = asyncio.get_running_loop() is self.loop
        print(f"pool closed on its own loop: {same}", flush=True)


pool = Pool()
"""


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder on PYTHONPATH with the module `mypets_checks`."""
    folder = tmp_path_factory.mktemp("plugins")
    (folder / "mypets_checks.py").write_text(PLUGIN)
    (folder / "loop_bound.py").write_text(LOOP_BOUND)
    (folder / "token").write_text(HEALTH_TOKEN)
    return folder


def _env(plugin_dir: Path, checks: str, **extra: str) -> dict[str, str]:
    return {
        "PYTHONPATH": str(plugin_dir),
        "PETSAGE_CHECKS": checks,
        "FAIL_FILE": str(plugin_dir / "fail"),
        "PETSAGE_HEALTH_TOKEN_FILE": str(plugin_dir / "token"),
        **extra,
    }


@pytest.fixture(scope="module")
def server(plugin_dir: Path) -> Iterator[LiveServer]:
    env = _env(plugin_dir, "mypets_checks:gate, mypets_checks:checks", PETSAGE_DRAIN_SECONDS="3")
    with running_server(env=env) as live:
        yield live


def test_plugin_checks_run_in_readiness(server: LiveServer, plugin_dir: Path) -> None:
    """Both references load: readiness lists them; `gate` follows the file, 200 then 503."""
    code, body, _ = _get(f"{server.base_url}/api/v1/health/ready")
    assert code == 200
    assert {"gate", "cache-warm"} <= set(body["checks"])
    (plugin_dir / "fail").touch()
    try:
        code, body, _ = _get(f"{server.base_url}/api/v1/health/ready/gate")
        assert (code, body["checks"]["gate"][0]["output"]) == (503, "gate closed")
    finally:
        (plugin_dir / "fail").unlink()
    assert _get(f"{server.base_url}/api/v1/health/ready/gate")[0] == 200


def test_the_server_keeps_its_hardening(server: LiveServer) -> None:
    """With plug-ins, a 20 KB header is 431, garbage is a problem+json 400, no Server header."""
    big = b"GET /api/v1/health/ready HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    (response,) = exchange(server.port, big).responses
    assert response.status == 431
    (response,) = exchange(server.port, b"\x16\x03\x01garbage\r\n\r\n").responses
    assert response.status == 400
    assert response.problem()["status"] == 400
    (response,) = exchange(
        server.port, b"GET /api/v1/health/ready HTTP/1.1\r\nHost: a\r\n\r\n"
    ).responses
    assert response.status == 200
    assert "server" not in response.headers


def test_successful_probes_stay_out_of_the_log(server: LiveServer) -> None:
    """The access log stays quiet for 200 probes, as without plug-ins."""
    _get(f"{server.base_url}/api/v1/health/ready/cache-warm")
    time.sleep(0.2)
    assert "/api/v1/health/ready/cache-warm" not in server.log()


def test_workers_each_load_the_plugins(plugin_dir: Path) -> None:
    """--workers 2: every answer, from either worker, has the plug-in check."""
    with running_server("--workers", "2", env=_env(plugin_dir, "mypets_checks:gate")) as live:
        for _ in range(20):
            code, body, _ = _get(f"{live.base_url}/api/v1/health/ready/gate")
            assert (code, body["status"]) == (200, "pass")


def test_drain_fails_readiness_with_plugins(plugin_dir: Path) -> None:
    """SIGTERM: readiness turns 503 shutting down at once; the process exits 0 after the drain."""
    env = _env(plugin_dir, "mypets_checks:gate", PETSAGE_DRAIN_SECONDS="2")
    with running_server(env=env) as live:
        live.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        code, body, _ = _get(f"{live.base_url}/api/v1/health/ready")
        assert (code, body["output"]) == (503, "shutting down")
        assert live.process.wait(30) == 0


@pytest.mark.parametrize(
    ("checks", "says"),
    [
        ("mypets_checks", "not module:attribute"),
        ("no_such_module:checks", "cannot import no_such_module"),
        ("mypets_checks:nope", "mypets_checks has no nope"),
        ("mypets_checks:not_a_check", "int is not a check"),
        ("mypets_checks:gate,mypets_checks:gate", "check name 'gate' is taken"),
    ],
)
def test_bad_reference_exits_78_naming_it(plugin_dir: Path, checks: str, says: str) -> None:
    """A reference that names no check stops `petsage serve`: exit 78, one line naming it."""
    result = run_petsage(
        "serve", "--port", str(free_port()), env={**os.environ, **_env(plugin_dir, checks)}
    )
    assert result.returncode == 78
    (line,) = result.stderr.splitlines()
    assert line.startswith("petsage: invalid checks: PETSAGE_CHECKS: ")
    assert says in line


def test_entry_point_group_loads_checks(plugin_dir: Path, tmp_path: Path) -> None:
    """An installed distribution's `petsage.checks` entry point adds its checks."""
    dist = tmp_path / "mypets_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mypets-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[petsage.checks]\nmypets = mypets_checks:checks\n")
    env = _env(plugin_dir, "", PYTHONPATH=f"{plugin_dir}{os.pathsep}{tmp_path}")
    with running_server(env=env) as live:
        code, body, _ = _get(f"{live.base_url}/api/v1/health/ready/cache-warm")
        assert (code, body["status"]) == (200, "pass")


def test_a_loop_bound_check_passes_on_both_ports_and_closes_once(plugin_dir: Path) -> None:
    """A check bound to the event loop it first runs on passes, asked again and again,
    alternately on the main port (with the token) and on the management port: it runs on the
    main loop only; at shutdown its aclose runs once, on that loop."""
    management = free_port()
    env = _env(plugin_dir, "loop_bound:pool", PETSAGE_MANAGEMENT_PORT=str(management))
    with running_server(env=env) as live:
        urls = [
            f"{live.base_url}/api/v1/health/ready/pool",
            f"http://127.0.0.1:{management}/api/v1/health/ready/pool",
            f"{live.base_url}/api/v1/health/ready",
            f"http://127.0.0.1:{management}/api/v1/health/ready",
        ]
        for _ in range(3):
            for url in urls:
                code, body, _ = _get(url)
                assert (code, body["checks"]["pool"][0]["status"]) == (200, "pass"), url
        assert live.stop() == 0
        log = live.log()
    assert log.count("pool closed") == 1
    assert "pool closed on its own loop: True" in log
    assert "called from 2 event loops" not in log
