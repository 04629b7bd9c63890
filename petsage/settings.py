"""Typed settings, read from ``PETSAGE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
LogFormat = Literal["text", "json"]


class Settings(BaseSettings):
    """Everything the service can be told. Load once, pass into ``create_app`` and ``serve``."""

    model_config = SettingsConfigDict(env_prefix="PETSAGE_", extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(
        default=8000, ge=0, le=65535, description="TCP port to listen on (0: any free port)."
    )
    workers: int = Field(default=1, ge=1, description="Number of worker processes.")
    log_level: LogLevel = Field(default="info", description="Lowest level written to the log.")

    # Health checks, drain and logs.
    config: Path | None = Field(
        default=None, description="TOML file with the health checks (none: built-in checks only)."
    )
    drain_seconds: float = Field(
        default=5.0,
        ge=0,
        description="After SIGTERM/SIGINT: seconds to keep serving with readiness failing.",
    )
    graceful_timeout: int = Field(
        default=10,
        ge=0,
        description="After the drain: seconds in-flight requests get before they are cancelled.",
    )
    log_probes: bool = Field(
        default=False, description="Write successful smoke and health requests to the access log."
    )
    log_format: LogFormat = Field(
        default="text", description="text, or json for one JSON object per line."
    )
