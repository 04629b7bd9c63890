"""Pydantic results the handlers return; each mirrors a schema in ``openapi/``."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict


class SmokeTestResponse(BaseModel):
    """``components/schemas/SmokeTestResponse`` in ``openapi/petsage.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["ok"]
    message: str
    timestamp: AwareDatetime


class WelcomeLinks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    smokeTest: str  # the contract's camelCase name
    openapi: str
    docs: str


class Welcome(BaseModel):
    """``components/schemas/Welcome`` in ``openapi/root.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str
    version: str
    links: WelcomeLinks
