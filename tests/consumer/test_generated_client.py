"""A Python client generated from each served contract calls every operation of a live server, with
the contract's examples as arguments, and parses every answer into the models it generated. The
operations, their arguments and what an answer may be come from the contracts (tests/contracts.py):
a new operation is called here with no edit. The health probes' states are pinned besides."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import subprocess
import sys
import typing
import urllib.request
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from openapi_python_client.strings import snake_case
from openapi_schema_validator import OAS30Validator

from petsage.contract import document_base_path
from petsage.testing import LiveServer, free_port, running_server
from tests.conftest import HEALTH_TOKEN, load_spec, resolve_refs
from tests.contracts import DOCUMENTS, OPERATIONS, Operation, example

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# The conformance contract's server: `petsage serve` with tests/conformance beside the product's.
SERVER_MODULE = "tests.conformance"


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
    """A live server of every contract, with one failing critical and one failing non-critical
    check, the health token, and its metrics on the main port."""
    env = {
        "PETSAGE_CONFIG": str(_config(tmp_path_factory.mktemp("config"))),
        "PETSAGE_HEALTH_TOKEN_FILE": str(health_token_file),
        "PETSAGE_PUBLIC_METRICS": "true",
    }
    with running_server(env=env, module=SERVER_MODULE) as live:
        yield live


def _base(document: str) -> str:
    return document_base_path(DOCUMENTS[document])


@pytest.fixture(scope="module")
def packages(
    server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Client packages generated from each served openapi.json, importable: document -> package."""
    out = tmp_path_factory.mktemp("clients")
    names = {}
    for index, document in enumerate(DOCUMENTS):
        target = out / "generated"
        generated = subprocess.run(
            [
                str(GENERATOR),
                "generate",
                "--url",
                f"{server.base_url}{_base(document)}/openapi.json",
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
        names[document] = f"client_{index}"
        target.rename(out / names[document])
    sys.path.insert(0, str(out))
    yield names
    sys.path.remove(str(out))


def _endpoint(packages: dict[str, str], operation: Operation) -> ModuleType:
    """The generated module of ``operation``: ``api.<first tag>.<operationId>``, snake case."""
    tag, name = snake_case(operation.definition["tags"][0]), snake_case(operation.operation_id)
    return importlib.import_module(f"{packages[operation.document]}.api.{tag}.{name}")


def _convert(hint: Any, value: Any) -> Any:
    """``value``, as the contract writes it, as the generated client's argument of type ``hint``."""
    options = (
        typing.get_args(hint)
        if typing.get_origin(hint) in (typing.Union, type(int | str))
        else (hint,)
    )
    for option in options:
        if typing.get_origin(option) is list:
            (item,) = typing.get_args(option)
            return [_convert(item, element) for element in value]
        if not isinstance(option, type) or option is type(None) or option.__name__ == "Unset":
            continue
        if hasattr(option, "from_dict"):
            return option.from_dict(value)
        if option is datetime.datetime:
            return datetime.datetime.fromisoformat(value)
        if option is datetime.date:
            return datetime.date.fromisoformat(value)
        if issubclass(option, Enum) or option in (UUID, int, float, str, bool):
            return option(value)
    raise TypeError(f"no conversion of {value!r} to {hint}")


def _arguments(endpoint: ModuleType, operation: Operation, **given: Any) -> dict[str, Any]:
    """The example of every parameter that has one, and of the body, typed as the generated
    ``sync_detailed`` takes them; ``given`` (by parameter name) wins over the examples."""
    values = {}
    for parameter in operation.parameters:
        name = parameter["name"]
        try:
            values[snake_case(name)] = given[name] if name in given else example(parameter)
        except LookupError:
            continue  # an optional parameter with no example is left out
    if operation.body is not None:
        values["body"] = operation.body
    hints = typing.get_type_hints(endpoint.sync_detailed)
    return {name: _convert(hints[name], value) for name, value in values.items()}


def _call(
    packages: dict[str, str],
    base_url: str,
    operation: Operation,
    token: str | None = HEALTH_TOKEN,
    **given: Any,
) -> Any:
    """Call ``operation`` through its generated client on the server at ``base_url``, with the
    bearer ``token`` (None: anonymously)."""
    endpoint = _endpoint(packages, operation)
    client_module = importlib.import_module(f"{packages[operation.document]}.client")
    arguments = _arguments(endpoint, operation, **given)
    options = {"base_url": base_url + _base(operation.document), "raise_on_unexpected_status": True}
    client = (
        client_module.Client(**options)
        if token is None
        else client_module.AuthenticatedClient(**options, token=token)
    )
    with client:
        return endpoint.sync_detailed(client=client, **arguments)


def _assert_parsed(operation: Operation, response: Any) -> None:
    """The answer is one the contract declares, parsed as it declares it: nothing for HEAD or no
    content, text for text, and a generated model that writes a valid document for JSON."""
    status = str(int(response.status_code))
    assert status in operation.statuses(), status
    assert response.headers["x-content-type-options"] == "nosniff"
    declared = resolve_refs(
        operation.definition["responses"][status], DOCUMENTS[operation.document]
    )
    content = declared.get("content", {})
    json_media = [media for name, media in content.items() if name.endswith("json")]
    if operation.method == "head" or not content:
        assert (response.content, response.parsed) == (b"", None)
    elif json_media:
        document = response.parsed.to_dict()
        OAS30Validator(
            json_media[0]["schema"], format_checker=OAS30Validator.FORMAT_CHECKER
        ).validate(document)
    else:
        assert isinstance(response.parsed, str)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[str(op) for op in OPERATIONS])
def test_generated_client_calls_every_operation(
    packages: dict[str, str], server: LiveServer, operation: Operation
) -> None:
    """Every operation of every contract, called with the contract's examples through the
    generated client, answers a status it declares, parsed into the model declared for it."""
    _assert_parsed(operation, _call(packages, server.base_url, operation))


def _linked() -> list[Operation]:
    return [
        op
        for op in OPERATIONS
        if any(
            "links" in response
            for status, response in op.definition["responses"].items()
            if status.startswith("2")
        )
    ]


@pytest.mark.parametrize("producer", _linked(), ids=[str(op) for op in _linked()])
def test_generated_client_follows_every_link(packages: dict[str, str], producer: Operation) -> None:
    """On a fresh server, an operation with links answers 2xx, and each operation it links to,
    given the values the links name in its answer, answers 2xx too, in the order declared."""
    by_id = {(op.document, op.operation_id): op for op in OPERATIONS}
    with running_server(module=SERVER_MODULE) as fresh:
        answer = _call(packages, fresh.base_url, producer)
        status = str(int(answer.status_code))
        assert status.startswith("2"), status
        _assert_parsed(producer, answer)
        body = json.loads(answer.content)
        for link in producer.definition["responses"][status]["links"].values():
            target = by_id[(producer.document, link["operationId"])]
            given = {
                name: _pointer(body, expression.removeprefix("$response.body#"))
                for name, expression in link["parameters"].items()
            }
            response = _call(packages, fresh.base_url, target, **given)
            assert str(int(response.status_code)).startswith("2"), (target, response.content)
            _assert_parsed(target, response)


def _pointer(document: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        document = document[part]
    return document


def _operation(operation_id: str) -> Operation:
    return next(op for op in OPERATIONS if op.operation_id == operation_id)


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


# What the health probes answer in each state: (operationId, arguments, status, model, holds).
HEALTH: list[tuple[str, dict[str, Any], int, str, Callable[[Any], None]]] = [
    ("getLiveness", {}, 200, "HealthyResponse", _health("pass", {"event-loop:lag", "uptime"})),
    (
        "getReadiness",
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
        "getReadiness",
        {"exclude": ["pet-db"]},
        200,
        "HealthyResponse",
        _health("warn", {"shutdown", "event-loop:lag", "memory:rss", "vet-api:responseTime"}),
    ),
    (
        "getReadiness",
        {"exclude": ["pet-db", "vet-api", "memory"]},
        200,
        "HealthyResponse",
        _health("pass", {"shutdown", "event-loop:lag"}),
    ),
    (
        "getReadiness",
        {"exclude": ["no-such-check"]},
        400,
        "Problem",
        _problem(400, "there is no health check named 'no-such-check'"),
    ),
    (
        "getReadiness",
        {"exclude": ["pet-db,vet-api"]},
        400,
        "Problem",
        _problem(400, "Query parameter 'exclude'"),
    ),
    (
        "getReadinessCheck",
        {"check": "memory"},
        200,
        "HealthyResponse",
        _health("pass", {"memory:rss"}),
    ),
    (
        "getReadinessCheck",
        {"check": "vet-api"},
        200,
        "HealthyResponse",
        _health("warn", {"vet-api:responseTime"}),
    ),
    (
        "getReadinessCheck",
        {"check": "pet-db"},
        503,
        "UnhealthyResponse",
        _health("fail", {"pet-db:responseTime"}),
    ),
    (
        "getReadinessCheck",
        {"check": "Pet_DB"},
        400,
        "Problem",
        _problem(400, "Path parameter 'check'"),
    ),
    (
        "getReadinessCheck",
        {"check": "no-such-check"},
        404,
        "Problem",
        _problem(404, "no-such-check"),
    ),
]


@pytest.mark.parametrize(
    "call", HEALTH, ids=[f"{c[0]}-{c[2]}-{'-'.join(map(str, c[1].values()))}" for c in HEALTH]
)
def test_generated_client_parses_each_health_state(
    packages: dict[str, str], server: LiveServer, call: tuple[Any, ...]
) -> None:
    """The probes answer each state with the status and the document the contract declares for
    it, parsed into its named model: pass, warn, fail, an unknown or misspelt check."""
    operation_id, arguments, status, model, holds = call
    response = _call(packages, server.base_url, _operation(operation_id), **arguments)
    assert response.status_code == status
    assert type(response.parsed).__name__ == model
    holds(response.parsed)


# Anonymous callers: (operationId, arguments, status, parsed model, what it holds).
ANONYMOUS: list[tuple[str, dict[str, Any], int, str, Callable[[Any], None]]] = [
    ("getLiveness", {}, 200, "HealthySummary", _summary("pass")),
    ("getReadiness", {}, 503, "UnhealthySummary", _summary("fail")),
    (
        "getReadiness",
        {"exclude": ["pet-db"]},
        200,
        "HealthySummary",
        _summary("warn"),
    ),
    (
        "getReadinessCheck",
        {"check": "pet-db"},
        404,
        "Problem",
        _problem(404, "The requested URL was not found on the server."),
    ),
]


@pytest.mark.parametrize("call", ANONYMOUS, ids=[f"{c[0]}-{c[2]}" for c in ANONYMOUS])
def test_generated_client_parses_the_anonymous_answers(
    packages: dict[str, str], server: LiveServer, call: tuple[Any, ...]
) -> None:
    """Without the token each probe answers the status only, parsed into its summary model."""
    operation_id, arguments, status, model, holds = call
    response = _call(packages, server.base_url, _operation(operation_id), None, **arguments)
    assert response.status_code == status
    assert type(response.parsed).__name__ == model
    holds(response.parsed)


def test_generated_client_parses_a_refused_token(
    packages: dict[str, str], server: LiveServer
) -> None:
    """A wrong token is a 401 parsed as a Problem, with the declared WWW-Authenticate."""
    wrong = HEALTH_TOKEN[::-1]
    response = _call(packages, server.base_url, _operation("getLiveness"), wrong)
    assert response.status_code == 401
    _problem(401, "bearer token")(response.parsed)
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_client_is_generated_from_the_served_contract(server: LiveServer) -> None:
    """What the generator read is the file as written: the served document is load_spec's."""
    with urllib.request.urlopen(f"{server.base_url}/api/v1/openapi.json", timeout=5) as answer:
        assert json.load(answer) == load_spec("petsage.yaml")
