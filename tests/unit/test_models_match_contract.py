"""The pydantic models and the hand-written contract describe the same documents."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from pydantic import BaseModel

from petsage import __version__
from petsage.health.models import CheckResult, HealthResponse, HealthSummary
from petsage.services.smoke import run_smoke_test
from petsage.services.welcome import welcome
from tests.conftest import load_spec, resolve_refs
from tests.contracts import DOCUMENTS


def _schema(spec_name: str, schema_name: str) -> dict[str, Any]:
    spec = load_spec(spec_name)
    schema: dict[str, Any] = resolve_refs(spec["components"]["schemas"][schema_name], spec)
    return schema


_PASS = CheckResult(component_type="system", observed_value=0.2, observed_unit="ms")
_FAIL = CheckResult(status="fail", output="timed out after 0.5 s")
_HEALTH = HealthResponse(
    status="fail",
    version="1",
    release_id=__version__,
    service_id="petsage-api",
    description="PetSage API readiness",
    output="shutting down",
    checks={"event-loop:lag": [_PASS], "pet-db": [_FAIL]},
)


@pytest.mark.parametrize(
    ("spec_name", "schema_name", "result"),
    [
        ("petsage.yaml", "SmokeTestResponse", run_smoke_test()),
        ("root.yaml", "Welcome", welcome()),
        ("petsage.yaml", "HealthResponse", _HEALTH),
        ("petsage.yaml", "HealthSummary", _HEALTH.summary),
        ("petsage.yaml", "UnhealthySummary", _HEALTH.summary),
        ("petsage.yaml", "HealthCheckResult", _PASS),
        ("petsage.yaml", "HealthCheckResult", _FAIL),
    ],
)
def test_service_results_validate_against_the_contract(
    spec_name: str, schema_name: str, result: BaseModel
) -> None:
    """What a service returns, as JSON, is valid under its schema in openapi/."""
    validator = OAS30Validator(
        _schema(spec_name, schema_name), format_checker=OAS30Validator.FORMAT_CHECKER
    )
    validator.validate(result.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("spec_name", "schema_name", "model"),
    [("petsage.yaml", "SmokeTestResponse", run_smoke_test()), ("root.yaml", "Welcome", welcome())],
)
def test_contract_example_loads_into_the_model(
    spec_name: str, schema_name: str, model: BaseModel
) -> None:
    """The contract's example is accepted by the model, and the fields are the same set."""
    schema = _schema(spec_name, schema_name)
    type(model).model_validate(schema["example"])
    assert set(schema["required"]) == set(schema["properties"]) == set(type(model).model_fields)


@pytest.mark.parametrize(
    ("schema_name", "model"),
    [
        ("HealthResponse", HealthResponse),
        ("HealthSummary", HealthSummary),
        ("HealthCheckResult", CheckResult),
    ],
)
def test_health_models_have_the_contract_members(schema_name: str, model: type[BaseModel]) -> None:
    """Each health model's JSON members are the schema's properties, required ones alike, and the
    contract's example loads into it."""
    schema = _schema("petsage.yaml", schema_name)
    model.model_validate(schema["example"])
    members = {field.serialization_alias or name for name, field in model.model_fields.items()}
    assert members == set(schema["properties"])
    required = {
        field.serialization_alias or name
        for name, field in model.model_fields.items()
        if field.is_required()
    }
    assert required <= set(schema["required"])


def test_contract_rejects_an_unknown_health_status() -> None:
    """status is one of pass, warn, fail in the contract as in the model."""
    body = _HEALTH.model_dump(mode="json") | {"status": "ok"}
    assert not OAS30Validator(_schema("petsage.yaml", "HealthResponse")).is_valid(body)


def test_contract_rejects_a_naive_timestamp() -> None:
    """The timestamp pattern demands an offset, as the model does."""
    body = run_smoke_test().model_dump(mode="json") | {"timestamp": "2026-11-21T10:30:00"}
    assert not OAS30Validator(_schema("petsage.yaml", "SmokeTestResponse")).is_valid(body)


@pytest.mark.parametrize("spec_name", ["petsage.yaml", "root.yaml"])
def test_contract_version_is_the_package_version(spec_name: str) -> None:
    """info.version of each spec is the version the package reports."""
    assert load_spec(spec_name)["info"]["version"] == __version__


def _examples(node: Any, where: str) -> list[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) of every example under ``node``: a parameter's, a header's or a
    media type's against its ``schema``, a schema's against itself."""
    found = []
    if isinstance(node, dict):
        if "example" in node:
            schema = node.get("schema", node)
            found.append(
                (where, node["example"], {k: v for k, v in schema.items() if k != "example"})
            )
        for key, value in node.items():
            if key not in ("example", "examples"):
                found.extend(_examples(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_examples(value, f"{where}/{index}"))
    return found


# Each example where it is written; its schema's $refs resolved.
EXAMPLES = [
    (f"{name}:{where}", example, resolve_refs(schema, document))
    for name, document in DOCUMENTS.items()
    for where, example, schema in _examples(document, "#")
]


@pytest.mark.parametrize(("where", "example", "schema"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_example_of_the_contracts_is_valid(where: str, example: Any, schema: Any) -> None:
    """What a contract shows as an example (the docs UI's, and the tests' values) is valid under
    the schema beside it, formats included: in every document, the conformance contract too."""
    OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER).validate(example)
