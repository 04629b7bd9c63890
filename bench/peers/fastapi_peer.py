"""The FastAPI peer: the seeds' design for the smoke test, as the seeds wrote it.

An async handler, a service function returning a dict, a pydantic response model that validates and
serialises it: the same JSON as PetSage (``status``, ``message``, an RFC 3339 UTC ``timestamp``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, status
from pydantic import BaseModel, Field


class SmokeTestResponse(BaseModel):
    status: str = Field(..., description="The operational status of the service.")
    message: str = Field(..., description="A confirmation message in the PetSage voice.")
    timestamp: datetime = Field(..., description="The UTC time of the check.")


def perform_health_check() -> dict[str, Any]:
    return {
        "status": "ok",
        "message": "PetSage system is alive and purring!",
        "timestamp": datetime.now(UTC),
    }


router = APIRouter()


@router.get(
    "/smoke-test",
    response_model=SmokeTestResponse,
    status_code=status.HTTP_200_OK,
    tags=["System Health"],
    summary="System Health Check",
)
async def get_system_health() -> dict[str, Any]:
    return perform_health_check()


app = FastAPI(title="PetSage API (FastAPI peer)", version="1.0.0")
app.include_router(router, prefix="/api/v1")
