"""Typed settings, read from ``PETSAGE_*`` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


class Settings(BaseSettings):
    """Everything the service can be told. Load once, pass into ``create_app`` and ``serve``."""

    model_config = SettingsConfigDict(env_prefix="PETSAGE_", extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(
        default=8000, ge=0, le=65535, description="TCP port to listen on (0: any free port)."
    )
    workers: int = Field(default=1, ge=1, description="Number of worker processes.")
    log_level: LogLevel = Field(default="info", description="Lowest level written to the log.")
