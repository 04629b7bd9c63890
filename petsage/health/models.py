"""Health documents (draft-inadarei-api-health-check-06); each mirrors a schema in ``openapi/``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Status = Literal["pass", "warn", "fail"]


def _is_none(value: object) -> bool:
    return value is None


class CheckResult(BaseModel):
    """One observation of one check: ``components/schemas/HealthCheckResult``.

    ``output`` is a short public reason; never a stack trace, a credential or a header value.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
    )

    # The draft says optional members are omitted rather than sent as null.
    status: Status = "pass"
    component_type: str = "component"
    observed_value: float | None = Field(default=None, exclude_if=_is_none)
    observed_unit: str | None = Field(default=None, exclude_if=_is_none)
    output: str | None = Field(default=None, exclude_if=_is_none)
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))


class HealthSummary(BaseModel):
    """``components/schemas/HealthSummary``: the status and what identifies the service, nothing
    about its checks or the process (what an anonymous caller of the main port gets)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    status: Status
    version: str
    release_id: str = Field(alias="releaseId")
    service_id: str = Field(alias="serviceId")
    description: str


class HealthResponse(HealthSummary):
    """``components/schemas/HealthResponse``: the aggregate of a set of checks."""

    output: str | None = Field(default=None, exclude_if=_is_none)
    checks: dict[str, list[CheckResult]]

    @cached_property
    def summary(self) -> HealthSummary:
        """This document without the checks and the output."""
        return HealthSummary.model_construct(
            status=self.status,
            version=self.version,
            release_id=self.release_id,
            service_id=self.service_id,
            description=self.description,
        )
