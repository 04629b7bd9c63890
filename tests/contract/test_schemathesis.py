"""Schemathesis fuzzes every operation of the contract in-process, valid and invalid inputs."""

from __future__ import annotations

from typing import Any

import schemathesis

from petsage.app import create_app
from petsage.health.config import HealthConfig
from petsage.settings import Settings
from petsage.testing import free_port
from tests.conftest import OPENAPI_DIR

APP = create_app(Settings(), validate_responses=True)

api = schemathesis.openapi.from_path(OPENAPI_DIR / "petsage.yaml")
api.app = APP
root = schemathesis.openapi.from_path(OPENAPI_DIR / "root.yaml")
root.app = APP

# An instance whose critical dependency is down: nothing listens on the port.
_DOWN = HealthConfig.model_validate(
    {
        "health": {
            "checks": [{"name": "pet-db", "type": "tcp", "target": f"127.0.0.1:{free_port()}"}]
        }
    }
)
unhealthy = schemathesis.openapi.from_path(OPENAPI_DIR / "petsage.yaml").include(
    path_regex="^/health/"
)
unhealthy.app = create_app(Settings(), validate_responses=True, health_config=_DOWN)


@api.parametrize()
def test_api_conforms_to_its_contract(case: schemathesis.Case[Any]) -> None:
    """Every response to generated requests is declared, valid, and never a 5xx."""
    case.call_and_validate()


@root.parametrize()
def test_root_conforms_to_its_contract(case: schemathesis.Case[Any]) -> None:
    """The root welcome honours its contract too."""
    case.call_and_validate()


@unhealthy.parametrize()
def test_unhealthy_instance_conforms_to_its_contract(case: schemathesis.Case[Any]) -> None:
    """With a critical check failing, the health probes' 503 answers are declared and valid."""
    case.call_and_validate()
