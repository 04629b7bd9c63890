"""Schemathesis fuzzes every operation of every served contract in process, valid and invalid
inputs (schemathesis.toml), and runs the conformance contract's links as stateful scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from connexion import AsyncApp
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema

from petsage.health.config import HealthConfig
from petsage.testing import free_port
from tests.conformance import DOCUMENT_PATH
from tests.conftest import OPENAPI_DIR
from tests.contracts import served_app

APP = served_app()


def _loaded(path: Path, app: AsyncApp = APP) -> BaseSchema:
    schema = schemathesis.openapi.from_path(path)
    schema.app = app
    return schema


api = _loaded(OPENAPI_DIR / "petsage.yaml")
root = _loaded(OPENAPI_DIR / "root.yaml")
conformance = _loaded(DOCUMENT_PATH)

# An instance whose critical dependency is down: nothing listens on the port.
_DOWN = HealthConfig.model_validate(
    {
        "health": {
            "checks": [{"name": "pet-db", "type": "tcp", "target": f"127.0.0.1:{free_port()}"}]
        }
    }
)
# Only the health operations. An exclude, not an include: schemathesis.toml's operation settings
# make the loaded schema include every operation already, and includes add up (Schemathesis 4).
unhealthy = _loaded(OPENAPI_DIR / "petsage.yaml", served_app(health_config=_DOWN)).exclude(
    lambda ctx: not ctx.operation.path.startswith("/health/")
)


@api.parametrize()
def test_api_conforms_to_its_contract(case: schemathesis.Case[Any]) -> None:
    """Every response to generated requests is declared, valid, and never a 5xx."""
    case.call_and_validate()


@root.parametrize()
def test_root_conforms_to_its_contract(case: schemathesis.Case[Any]) -> None:
    """The root welcome honours its contract too."""
    case.call_and_validate()


@conformance.parametrize()
def test_conformance_contract_is_honoured(case: schemathesis.Case[Any]) -> None:
    """Every shape the conformance contract declares (bodies, formats, methods, parameters of
    every style) is carried: generated requests get declared, valid answers, never a 5xx."""
    case.call_and_validate()


@unhealthy.parametrize()
def test_unhealthy_instance_conforms_to_its_contract(case: schemathesis.Case[Any]) -> None:
    """With a critical check failing, the health probes' 503 answers are declared and valid."""
    case.call_and_validate()


def _labels(schema: BaseSchema) -> set[str]:
    return {result.ok().label for result in schema.get_all_operations() if isinstance(result, Ok)}


def test_the_unhealthy_run_covers_the_health_operations_only() -> None:
    """The filter above selects what it says: every health operation, and nothing else."""
    labels, health = _labels(unhealthy), _labels(api)
    assert labels == {label for label in health if label.split()[1].startswith("/health/")}
    assert labels


# Scenarios that follow the links of the conformance contract (create a visit, then read,
# replace, change and delete it by the id answered), each step's answer validated.
class TestConformanceWorkflows(conformance.as_state_machine().TestCase):  # type: ignore[misc]
    settings = hypothesis.settings(
        max_examples=10,
        stateful_step_count=6,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
