"""Typed settings, read from ``PETSAGE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_serializer, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from petsage.protocol.hosts import allow_list_entry

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
LogFormat = Literal["text", "json"]

ENV_PREFIX = "PETSAGE_"


class Settings(BaseSettings):
    """Everything the service can be told. Load once, pass into ``create_app`` and ``serve``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(
        default=8000, ge=0, le=65535, description="TCP port to listen on (0: any free port)."
    )
    workers: int = Field(default=1, ge=1, description="Number of worker processes.")
    management_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description=(
            "TCP port of the management listener (health probes and metrics, on a thread and"
            " event loop of their own); unset: none, metrics on the main port."
        ),
    )
    log_level: LogLevel = Field(default="info", description="Lowest level written to the log.")

    metrics: bool = Field(
        default=True,
        description="Count requests and checks and serve /metrics (false: neither; /metrics 404).",
    )
    public_metrics: bool = Field(
        default=False,
        description="Serve /metrics on the main port when there is no management listener "
        "(false: /metrics 404 there, nothing counted).",
    )
    health_token_file: Path | None = Field(
        default=None,
        description="File holding the bearer token that gets the full health documents on the "
        "main port (a mounted Secret; read again when it changes); unset: no token is valid.",
    )

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

    # Hardening: what one request may make the HTTP layer hold (petsage/protocol/limits.py).
    max_header_bytes: int = Field(
        default=16384, ge=1024, description="Request header bytes allowed (else 431)."
    )
    max_header_count: int = Field(
        default=100, ge=8, description="Request header fields allowed (else 431)."
    )
    max_url_bytes: int = Field(default=8192, ge=256, description="Request-target bytes (else 414).")
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a connection has to send its request headers."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=[],
        description=(
            "Hosts accepted in Host, comma-separated (*.example.com: subdomains; *: any); empty:"
            " any. IP literals are also accepted on the smoke test, health and metrics."
        ),
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=0,
        description="Request body bytes allowed, declared or streamed (else 413 and close).",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request has to send its whole body (else 408 and close).",
    )
    send_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds from a complete request until its response is sent whole (else "
        "the connection is dropped).",
    )
    send_buffer_bytes: int = Field(
        default=4 * 1_048_576,
        ge=0,
        description="Response bytes waiting for all slow readers together before the one "
        "waiting longest is dropped.",
    )
    socket_send_buffer_bytes: int = Field(
        default=131_072,
        ge=0,
        description="Kernel send buffer of each connection (SO_SNDBUF, which Linux doubles): what "
        "a client that stops reading makes the kernel hold for it; 0 leaves it to the kernel.",
    )
    max_connections: int | None = Field(
        default=None,
        ge=1,
        description="Open connections per process (else 503 and close); default: the open-file "
        "limit less an eighth (at least 32) kept spare.",
    )

    # Readiness checks written in Python (petsage/health/plugins.py).
    checks: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Python checks for readiness, comma-separated module:attribute references, "
        "each to a check, a Registration or a list of them.",
    )

    @field_validator("allowed_hosts", "checks", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _valid_hosts(cls, hosts: list[str]) -> list[str]:
        return [allow_list_entry(host) for host in hosts]

    @field_validator("management_port")
    @classmethod
    def _one_process_manages(cls, port: int | None, info: ValidationInfo) -> int | None:
        # The management listener watches one process's event loop; with several workers it would
        # answer for whichever process owns it, so the combination is refused rather than guessed.
        if port is not None and info.data.get("workers", 1) > 1:
            raise ValueError("cannot be used with PETSAGE_WORKERS above 1 (one listener per pod)")
        if port is not None and port != 0 and port == info.data.get("port"):
            raise ValueError("must differ from PETSAGE_PORT")
        return port

    @field_validator("public_metrics")
    @classmethod
    def _metrics_in_one_place(cls, public: bool, info: ValidationInfo) -> bool:
        # With a management listener the metrics are served there only: asking for them on the
        # main port as well is refused rather than ignored.
        if public and info.data.get("management_port") is not None:
            raise ValueError("cannot be used with PETSAGE_MANAGEMENT_PORT (metrics go there)")
        return public

    @field_validator("health_token_file")
    @classmethod
    def _readable_token(cls, path: Path | None) -> Path | None:
        # Unreadable at startup is a mistake in the deployment; later (a rotation half done) it
        # only makes every token wrong until the file is back.
        if path is not None and not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @field_serializer("allowed_hosts", "checks")
    def _join_commas(self, items: list[str]) -> str:
        # The same comma-separated form as the variable, so workers read it back.
        return ",".join(items)


def variable(field: str) -> str:
    """The environment variable that sets ``field``: ``PETSAGE_LOG_LEVEL`` for ``log_level``."""
    return ENV_PREFIX + field.upper()
