"""The pydantic models and the hand-written contract describe the same documents."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from pydantic import BaseModel

from petsage import __version__
from petsage.services.smoke import run_smoke_test
from petsage.services.welcome import welcome
from tests.conftest import load_spec


def _schema(spec_name: str, schema_name: str) -> dict[str, Any]:
    schema: dict[str, Any] = load_spec(spec_name)["components"]["schemas"][schema_name]
    return schema


@pytest.mark.parametrize(
    ("spec_name", "schema_name", "result"),
    [
        ("petsage.yaml", "SmokeTestResponse", run_smoke_test()),
        ("root.yaml", "Welcome", welcome()),
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


def test_contract_rejects_a_naive_timestamp() -> None:
    """The timestamp pattern demands an offset, as the model does."""
    body = run_smoke_test().model_dump(mode="json") | {"timestamp": "2026-11-21T10:30:00"}
    assert not OAS30Validator(_schema("petsage.yaml", "SmokeTestResponse")).is_valid(body)


@pytest.mark.parametrize("spec_name", ["petsage.yaml", "root.yaml"])
def test_contract_version_is_the_package_version(spec_name: str) -> None:
    """info.version of each spec is the version the package reports."""
    assert load_spec(spec_name)["info"]["version"] == __version__
