"""A Python client generated from the served contract calls every operation of a live server and
parses every answer: 200 pass and warn, 503, 400, 404, and HEAD, with the health token (the full
documents), without (the status only) and with a wrong one (401)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from petsage.contract import operations, path_items
from petsage.testing import LiveServer, free_port, running_server
from tests.conftest import HEALTH_TOKEN, load_spec

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
DOCUMENTS = {"api": ("/api/v1", "petsage.yaml"), "root": ("", "root.yaml")}


def _config(tmp: Path) -> Path:
    """Checks that fail, at ports where nothing listens: one critical (503), one not (warn)."""
    path = tmp / "petsage.toml"
    path.write_text(
        "[health]\n"
        "memory_warn_mib = 1048576\n"  # memory passes
        "[[health.checks]]\n"
        f'name = "pet-db"\ntype = "tcp"\ntarget = "127.0.0.1:{free_port()}"\n'
        "[[health.checks]]\n"
        f'name = "vet-api"\ntype = "tcp"\ntarget = "127.0.0.1:{free_port()}"\ncritical = false\n'
    )
    return path


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, health_token_file: Path
) -> Iterator[LiveServer]:
    """A live server with one failing critical and one failing non-critical check, the health
    token, and its metrics on the main port."""
    env = {"PETSAGE_HEALTH_TOKEN_FILE": str(health_token_file), "PETSAGE_PUBLIC_METRICS": "true"}
    config = _config(tmp_path_factory.mktemp("config"))
    with running_server("--config", str(config), env=env) as live:
        yield live


@pytest.fixture(scope="module")
def packages(
    server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Client packages generated from each served openapi.json, importable: kind -> package."""
    out = tmp_path_factory.mktemp("clients")
    names = {}
    for kind, (base, _) in DOCUMENTS.items():
        target = out / kind
        generated = subprocess.run(
            [
                str(GENERATOR),
                "generate",
                "--url",
                f"{server.base_url}{base}/openapi.json",
                "--output-path",
                str(target),
                "--meta",
                "none",
                "--fail-on-warning",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            # The generator formats what it writes with ruff, from this environment.
            env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ['PATH']}"},
        )
        assert generated.returncode == 0, generated.stdout + generated.stderr
        assert "Warning" not in generated.stdout, generated.stdout
        # --meta none writes the package itself: its directory is the one to import.
        names[kind] = f"client_{kind}"
        target.rename(out / names[kind])
    sys.path.insert(0, str(out))
    yield names
    sys.path.remove(str(out))


def _call(
    packages: dict[str, str],
    server: LiveServer,
    kind: str,
    operation: str,
    arguments: Any,
    token: str | None = HEALTH_TOKEN,
) -> Any:
    """Call ``<tag>.<operation>`` of the generated client of ``kind`` on ``server``, with the
    bearer ``token`` (None: anonymously)."""
    module = importlib.import_module(f"{packages[kind]}.api.{operation}")
    client_module = importlib.import_module(f"{packages[kind]}.client")
    base_url = server.base_url + DOCUMENTS[kind][0]
    options = {"base_url": base_url, "raise_on_unexpected_status": True}
    client = (
        client_module.Client(**options)
        if token is None
        else client_module.AuthenticatedClient(**options, token=token)
    )
    with client:
        return module.sync_detailed(client=client, **arguments)


def _health(status: str, checks: set[str]) -> Callable[[Any], None]:
    def check(parsed: Any) -> None:
        assert parsed.status.value == status
        assert parsed.service_id == "petsage-api"
        assert set(parsed.checks.additional_properties) == checks
        for results in parsed.checks.additional_properties.values():
            assert type(results[0]).__name__ == "HealthCheckResult"

    return check


def _summary(status: str) -> Callable[[Any], None]:
    def check(parsed: Any) -> None:
        assert parsed.status.value == status
        assert parsed.service_id == "petsage-api"
        assert not hasattr(parsed, "checks")

    return check


def _problem(status: int, detail: str) -> Callable[[Any], None]:
    def check(parsed: Any) -> None:
        assert (parsed.status, parsed.title) == (
            status,
            {400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}[status],
        )
        assert detail in parsed.detail

    return check


def _smoke(parsed: Any) -> None:
    assert parsed.status.value == "ok"
    assert parsed.message == "PetSage system is alive and purring!"
    assert parsed.timestamp.tzinfo is not None


def _welcome(parsed: Any) -> None:
    assert parsed.links.openapi == "/api/v1/openapi.json"


def _metrics(parsed: Any) -> None:
    assert "# TYPE petsage_http_requests_total counter" in parsed


# (document, tag module, operation, arguments, status, parsed model, what it holds)
CALLS: list[tuple[str, str, str, dict[str, Any], int, str, Callable[[Any], None]]] = [
    ("api", "system_health", "get_smoke_test", {}, 200, "SmokeTestResponse", _smoke),
    ("api", "system_health", "get_smoke_test_legacy", {}, 200, "SmokeTestResponse", _smoke),
    (
        "api",
        "system_health",
        "get_liveness",
        {},
        200,
        "HealthyResponse",
        _health("pass", {"event-loop:lag", "uptime"}),
    ),
    (
        "api",
        "system_health",
        "get_readiness",
        {},
        503,
        "UnhealthyResponse",
        _health(
            "fail",
            {
                "shutdown",
                "event-loop:lag",
                "memory:rss",
                "pet-db:responseTime",
                "vet-api:responseTime",
            },
        ),
    ),
    (
        "api",
        "system_health",
        "get_readiness",
        {"exclude": ["pet-db"]},
        200,
        "HealthyResponse",
        _health("warn", {"shutdown", "event-loop:lag", "memory:rss", "vet-api:responseTime"}),
    ),
    (
        "api",
        "system_health",
        "get_readiness",
        {"exclude": ["pet-db", "vet-api", "memory"]},
        200,
        "HealthyResponse",
        _health("pass", {"shutdown", "event-loop:lag"}),
    ),
    (
        "api",
        "system_health",
        "get_readiness",
        {"exclude": ["no-such-check"]},
        400,
        "Problem",
        _problem(400, "there is no health check named 'no-such-check'"),
    ),
    (
        "api",
        "system_health",
        "get_readiness",
        {"exclude": ["pet-db,vet-api"]},
        400,
        "Problem",
        _problem(400, "Query parameter 'exclude'"),
    ),
    (
        "api",
        "system_health",
        "get_readiness_check",
        {"check": "memory"},
        200,
        "HealthyResponse",
        _health("pass", {"memory:rss"}),
    ),
    (
        "api",
        "system_health",
        "get_readiness_check",
        {"check": "vet-api"},
        200,
        "HealthyResponse",
        _health("warn", {"vet-api:responseTime"}),
    ),
    (
        "api",
        "system_health",
        "get_readiness_check",
        {"check": "pet-db"},
        503,
        "UnhealthyResponse",
        _health("fail", {"pet-db:responseTime"}),
    ),
    (
        "api",
        "system_health",
        "get_readiness_check",
        {"check": "Pet_DB"},
        400,
        "Problem",
        _problem(400, "Path parameter 'check'"),
    ),
    (
        "api",
        "system_health",
        "get_readiness_check",
        {"check": "no-such-check"},
        404,
        "Problem",
        _problem(404, "no-such-check"),
    ),
    ("root", "welcome", "get_welcome", {}, 200, "Welcome", _welcome),
    ("root", "system_health", "get_metrics", {}, 200, "str", _metrics),
]
# (document, tag module, operation, arguments, status)
HEADS: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("api", "system_health", "head_smoke_test", {}, 200),
    ("api", "system_health", "head_smoke_test_legacy", {}, 200),
    ("api", "system_health", "head_liveness", {}, 200),
    ("api", "system_health", "head_readiness", {}, 503),
    ("api", "system_health", "head_readiness", {"exclude": ["pet-db"]}, 200),
    ("api", "system_health", "head_readiness_check", {"check": "no-such-check"}, 404),
    ("api", "system_health", "head_readiness_check", {"check": "pet-db"}, 503),
    ("root", "welcome", "head_welcome", {}, 200),
    ("root", "system_health", "head_metrics", {}, 200),
]


def test_every_operation_of_the_contract_is_called() -> None:
    """The calls below cover every operationId of both documents, HEAD included."""
    declared = {
        (kind, operation["operationId"])
        for kind, (_, name) in DOCUMENTS.items()
        for _, item in path_items(load_spec(name))
        for _, operation in operations(item)
    }
    called = {(kind, op) for kind, _, op, *_ in CALLS} | {(kind, op) for kind, _, op, *_ in HEADS}
    assert {
        (kind, "".join(w.title() if i else w for i, w in enumerate(op.split("_"))))
        for kind, op in called
    } == declared


@pytest.mark.parametrize(
    "call", CALLS, ids=[f"{c[2]}-{c[4]}-{'-'.join(map(str, c[3].values()))}" for c in CALLS]
)
def test_generated_client_parses_every_answer(
    packages: dict[str, str], server: LiveServer, call: tuple[Any, ...]
) -> None:
    """Each call answers the status the contract declares for it, parsed into its named model."""
    kind, tag, name, arguments, status, model, holds = call
    response = _call(packages, server, kind, f"{tag}.{name}", arguments)
    assert response.status_code == status
    assert type(response.parsed).__name__ == model
    holds(response.parsed)


@pytest.mark.parametrize("call", HEADS, ids=[f"{c[2]}-{c[4]}" for c in HEADS])
def test_generated_client_heads_answer_the_get_status_without_a_body(
    packages: dict[str, str], server: LiveServer, call: tuple[Any, ...]
) -> None:
    """Each declared HEAD answers the status of its GET, the declared headers, and no body."""
    kind, tag, name, arguments, status = call
    response = _call(packages, server, kind, f"{tag}.{name}", arguments)
    assert (response.status_code, response.content, response.parsed) == (status, b"", None)
    assert response.headers["x-content-type-options"] == "nosniff"


# Anonymous callers: (tag module, operation, arguments, status, parsed model, what it holds).
ANONYMOUS: list[tuple[str, str, dict[str, Any], int, str, Callable[[Any], None]]] = [
    ("system_health", "get_liveness", {}, 200, "HealthySummary", _summary("pass")),
    ("system_health", "get_readiness", {}, 503, "UnhealthySummary", _summary("fail")),
    (
        "system_health",
        "get_readiness",
        {"exclude": ["pet-db"]},
        200,
        "HealthySummary",
        _summary("warn"),
    ),
    (
        "system_health",
        "get_readiness_check",
        {"check": "pet-db"},
        404,
        "Problem",
        _problem(404, "The requested URL was not found on the server."),
    ),
]


@pytest.mark.parametrize("call", ANONYMOUS, ids=[f"{c[1]}-{c[3]}" for c in ANONYMOUS])
def test_generated_client_parses_the_anonymous_answers(
    packages: dict[str, str], server: LiveServer, call: tuple[Any, ...]
) -> None:
    """Without the token each probe answers the status only, parsed into its summary model."""
    tag, name, arguments, status, model, holds = call
    response = _call(packages, server, "api", f"{tag}.{name}", arguments, token=None)
    assert response.status_code == status
    assert type(response.parsed).__name__ == model
    holds(response.parsed)


def test_generated_client_parses_a_refused_token(
    packages: dict[str, str], server: LiveServer
) -> None:
    """A wrong token is a 401 parsed as a Problem, with the declared WWW-Authenticate."""
    wrong = HEALTH_TOKEN[::-1]
    response = _call(packages, server, "api", "system_health.get_liveness", {}, token=wrong)
    assert response.status_code == 401
    _problem(401, "bearer token")(response.parsed)
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_client_is_generated_from_the_served_contract(server: LiveServer) -> None:
    """What the generator read is the file as written: the served document is load_spec's."""
    with urllib.request.urlopen(f"{server.base_url}/api/v1/openapi.json", timeout=5) as answer:
        assert json.load(answer) == load_spec("petsage.yaml")
