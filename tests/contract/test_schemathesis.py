"""Schemathesis fuzzes every operation of the contract in-process, valid and invalid inputs."""

from __future__ import annotations

import schemathesis

from petsage.app import create_app
from petsage.settings import Settings
from tests.conftest import OPENAPI_DIR

APP = create_app(Settings(), validate_responses=True)

api = schemathesis.openapi.from_path(OPENAPI_DIR / "petsage.yaml")
api.app = APP
root = schemathesis.openapi.from_path(OPENAPI_DIR / "root.yaml")
root.app = APP


@api.parametrize()
def test_api_conforms_to_its_contract(case: schemathesis.Case) -> None:
    """Every response to generated requests is declared, valid, and never a 5xx."""
    case.call_and_validate()


@root.parametrize()
def test_root_conforms_to_its_contract(case: schemathesis.Case) -> None:
    """The root welcome honours its contract too."""
    case.call_and_validate()
