"""Health probes of a real `petsage serve` against real stand-ins of its dependencies, as an
operator (the health token) and as an anonymous caller sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from petsage.testing import LiveServer, free_port, running_server
from tests.conftest import HEALTH_TOKEN, bearer
from tests.live.command import run_petsage
from tests.live.exposure import anonymous_answers, leaks
from tests.live.standins import http_server, hung_http_server, tcp_listener

# The bound: the answer comes within the largest timeout (0.5 s) plus a small margin;
# the margin here is generous because the test machine is shared.
TIMEOUT = 0.5
BOUND = 2.0


def _get(url: str, token: str | None = HEALTH_TOKEN) -> tuple[int, dict[str, Any], float]:
    """GET ``url`` with the bearer ``token`` (None: anonymously): status, JSON body, seconds."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=bearer(token) if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, health_token_file: Path
) -> Iterator[LiveServer]:
    """A server whose checks reach a listener, a closed port, a hung and a working HTTP server."""
    config = tmp_path_factory.mktemp("config") / "petsage.toml"
    with tcp_listener() as listening, hung_http_server() as hung, http_server() as answering:
        checks = [
            ("listening", "tcp", f"127.0.0.1:{listening}", True),
            ("closed", "tcp", f"127.0.0.1:{free_port()}", True),
            ("hung", "http", f"http://127.0.0.1:{hung}/health", True),
            ("hung-optional", "http", f"http://user:s3cr3t@127.0.0.1:{hung}/health", False),
            ("answering", "http", f"http://127.0.0.1:{answering}/health", True),
            ("wrong-path", "http", f"http://127.0.0.1:{answering}/nope", True),
        ]
        config.write_text(
            "".join(
                f'[[health.checks]]\nname = "{name}"\ntype = "{kind}"\ntarget = "{target}"\n'
                f"timeout = {TIMEOUT}\ncritical = {str(critical).lower()}\nttl = 0\n\n"
                for name, kind, target, critical in checks
            )
        )
        env = {"PETSAGE_HEALTH_TOKEN_FILE": str(health_token_file)}
        with running_server("--config", str(config), env=env) as live:
            yield live


@pytest.mark.parametrize(
    ("check", "code", "status", "output"),
    [
        ("listening", 200, "pass", None),
        ("closed", 503, "fail", "cannot connect: Connection refused"),
        ("hung", 503, "fail", f"timed out after {TIMEOUT} s"),
        ("hung-optional", 200, "warn", f"timed out after {TIMEOUT} s"),
        ("answering", 200, "pass", None),
        ("wrong-path", 503, "fail", "unexpected status 404"),
    ],
)
def test_each_check_answers_in_time_with_its_status(
    server: LiveServer, check: str, code: int, status: str, output: str | None
) -> None:
    """/ready/{check} against each stand-in: the right code, status and output, within the bound."""
    got, body, elapsed = _get(f"{server.base_url}/api/v1/health/ready/{check}")
    assert got == code
    (key,) = body["checks"]
    assert key == f"{check}:responseTime"
    (result,) = body["checks"][key]
    assert (result["status"], result.get("output")) == (status, output)
    assert elapsed < TIMEOUT + BOUND


def test_readiness_with_a_hung_dependency_answers_in_time(server: LiveServer) -> None:
    """All checks at once, two of them hung: 503 fail within the largest timeout plus a margin."""
    got, body, elapsed = _get(f"{server.base_url}/api/v1/health/ready")
    assert (got, body["status"]) == (503, "fail")
    assert elapsed < TIMEOUT + BOUND


def test_readiness_without_the_failing_critical_checks_is_warn(server: LiveServer) -> None:
    """Excluding the failing critical checks leaves the non-critical hung one: 200 warn."""
    query = "exclude=closed&exclude=hung&exclude=wrong-path"
    got, body, _ = _get(f"{server.base_url}/api/v1/health/ready?{query}")
    assert (got, body["status"]) == (200, "warn")


def test_credentials_and_details_stay_out_of_the_response_and_log(server: LiveServer) -> None:
    """The URL's password appears nowhere; the log has the reason with the URL redacted."""
    _, body, _ = _get(f"{server.base_url}/api/v1/health/ready/hung-optional")
    assert "s3cr3t" not in json.dumps(body)
    assert "s3cr3t" not in server.log()
    assert "health check 'hung-optional' timed out after 0.5 s" in server.log()


# What the configured checks would tell an anonymous caller: their names, hosts and reasons.
CHECK_SECRETS = (
    "listening",
    "closed",
    "hung",
    "answering",
    "wrong-path",
    "127.0.0.1",
    "Connection refused",
    "timed out",
    "unexpected status",
    "responseTime",
)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_an_anonymous_caller_learns_nothing_of_the_checks_or_the_process(
    server: LiveServer, method: str
) -> None:
    """Without a token no public answer (probes, per-check paths, metrics, errors) holds a
    check's name, host, reason or observed value, or a process metric; readiness is still 503
    with a critical check failing, as the status only."""
    answers = anonymous_answers(server.base_url, method)
    assert leaks(answers, CHECK_SECRETS) == []
    statuses = {path: status for path, (status, _) in answers.items()}
    assert statuses["/api/v1/health/live"] == 200
    assert statuses["/api/v1/health/ready"] == 503
    assert statuses["/api/v1/health/ready/memory"] == statuses["/metrics"] == 404
    code, body, _ = _get(f"{server.base_url}/api/v1/health/ready", token=None)
    assert (code, body["status"], body["serviceId"]) == (503, "fail", "petsage-api")


def test_the_token_gets_the_full_documents_and_a_wrong_one_is_401(server: LiveServer) -> None:
    """With the health token readiness names every check; a wrong token is a 401 problem with
    WWW-Authenticate, and the token appears nowhere in the log."""
    code, body, _ = _get(f"{server.base_url}/api/v1/health/ready")
    assert code == 503
    assert {"closed:responseTime", "memory:rss", "event-loop:lag"} <= set(body["checks"])
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/health/live", headers=bearer("not-the-token")
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    refused.value.close()
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"].startswith("Bearer ")
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    assert HEALTH_TOKEN not in server.log()
    assert "not-the-token" not in server.log()


def test_a_rotated_token_file_is_read_again(tmp_path: Path) -> None:
    """Replacing the token file (as a Secret's rotation does) takes effect without a restart:
    the old token is refused, the new one gets the details."""
    first, second = "first-token", "second-token"
    token_file = tmp_path / "token"
    token_file.write_text(f"{first}\n")
    with running_server(env={"PETSAGE_HEALTH_TOKEN_FILE": str(token_file)}) as live:
        url = f"{live.base_url}/api/v1/health/live"
        assert "checks" in _get(url, first)[1]
        rotated = tmp_path / "token.new"
        rotated.write_text(f"{second}\n")
        rotated.replace(token_file)
        assert _get(url, first)[0] == 401
        assert "checks" in _get(url, second)[1]


def test_liveness_never_waits_for_a_dependency(server: LiveServer) -> None:
    """Liveness is 200 at once while readiness waits on hung dependencies."""
    got, body, elapsed = _get(f"{server.base_url}/api/v1/health/live")
    assert (got, body["status"]) == (200, "pass")
    assert elapsed < BOUND


def test_successful_probes_stay_out_of_the_access_log_and_failures_do_not(
    server: LiveServer,
) -> None:
    """A 200 probe writes no access line; a 503 one does."""
    _get(f"{server.base_url}/api/v1/health/ready/listening")
    _get(f"{server.base_url}/api/v1/health/ready/closed")
    time.sleep(0.2)
    log = server.log()
    assert '"GET /api/v1/health/ready/closed HTTP/1.1" 503' in log
    assert "/api/v1/health/ready/listening HTTP" not in log


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        ("/api/v1/health/live", 0, "200 pass"),
        ("/api/v1/health/ready?exclude=closed&exclude=hung&exclude=wrong-path", 0, "200 warn"),
        ("/api/v1/health/ready", 1, "503 fail"),
        ("/api/v1/health/ready/listening", 1, "404"),
    ],
)
def test_probe_exit_code_follows_the_status(
    server: LiveServer, path: str, code: int, words: str
) -> None:
    """`petsage probe URL` (anonymous: no per-check path) exits 0 on 2xx and 1 otherwise,
    printing one line."""
    result = run_petsage("probe", f"{server.base_url}{path}", "--timeout", "10")
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stdout.count("\n") == 1
    assert words in result.stdout


def test_probe_defaults_to_the_local_readiness_endpoint(server: LiveServer) -> None:
    """Without a URL, probe asks PETSAGE_HOST:PETSAGE_PORT's readiness (503 here: exit 1)."""
    env = {**os.environ, "PETSAGE_PORT": str(server.port)}
    result = run_petsage("probe", "--timeout", "10", env=env)
    assert result.returncode == 1
    assert result.stdout.startswith(f"http://127.0.0.1:{server.port}/api/v1/health/ready: 503")


def test_probe_of_nothing_listening_exits_1() -> None:
    """A refused connection is one line saying unreachable, and exit 1."""
    result = run_petsage("probe", f"http://127.0.0.1:{free_port()}/api/v1/health/ready")
    assert result.returncode == 1
    assert "unreachable" in result.stdout
    assert result.stdout.count("\n") == 1


def test_bad_config_file_refuses_to_start_naming_the_key(tmp_path: Path) -> None:
    """An invalid file stops `petsage serve` with exit 78 and a line per problem naming its key."""
    config = tmp_path / "petsage.toml"
    config.write_text(
        '[[health.checks]]\nname = "pet-db"\ntype = "udp"\ntarget = "db:5432"\n'
        '[[health.checks]]\nname = "vet-api"\ntype = "tcp"\ntarget = "db"\n'
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "petsage",
            "serve",
            "--port",
            str(free_port()),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 78
    first, second = result.stderr.splitlines()
    assert first.startswith(f"petsage: invalid config: {config}: health.checks[0].type: ")
    assert second.startswith(f"petsage: invalid config: {config}: health.checks[1].target: ")


def test_json_log_format_writes_every_line_as_json() -> None:
    """PETSAGE_LOG_FORMAT=json: every line the server writes, from start to stop, Connexion's
    BadRequestProblem lines (at debug) and uvicorn's own included, is a JSON object."""
    env = {"PETSAGE_LOG_FORMAT": "json", "PETSAGE_DRAIN_SECONDS": "0", "PETSAGE_LOG_LEVEL": "debug"}
    with running_server(env=env) as live:
        for path in ("/api/v1/health/live", "/api/v1/health/ready?exclude=Nope", "/nope"):
            _get(f"{live.base_url}{path}", token=None)
        assert live.stop() == 0
        lines = live.log().splitlines()
    entries = [json.loads(line) for line in lines]
    loggers = {entry["logger"] for entry in entries}
    assert {"uvicorn.error", "connexion.middleware.exceptions", "petsage.access"} <= loggers
    problems = [e for e in entries if e["message"].startswith("BadRequestProblem(")]
    assert problems
    assert {e["level"] for e in problems} == {"debug"}
    access = [(e["path"], e["status"], e["operationId"]) for e in entries if "status" in e]
    assert access == [
        ("/api/v1/health/ready?exclude=Nope", 400, "getReadiness"),
        ("/nope", 404, "-"),
    ]
