"""The health configuration: a TOML file, validated into pydantic models before serving."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from petsage.health.checks import NAME_PATTERN

_BUILT_IN = ("shutdown", "event-loop", "uptime", "memory")

Seconds = Annotated[float, Field(gt=0, le=60)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DependencyCheck(_Strict):
    """One ``[[health.checks]]`` table."""

    name: Annotated[str, Field(pattern=NAME_PATTERN.pattern, max_length=63)]
    type: Literal["tcp", "http"]
    target: str = Field(description="host:port for tcp, an http(s) URL for http")
    timeout: Seconds = 1.0
    critical: bool = True
    ttl: Annotated[float, Field(ge=0)] = 1.0
    expect_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] = Field(
        default=(200, 299), min_length=2, max_length=2, description="inclusive range, http only"
    )

    @model_validator(mode="after")
    def _target_fits_type(self) -> Self:
        if self.type == "tcp":
            host, _, port = self.target.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("target: a tcp check needs host:port")
        else:
            url = urlsplit(self.target)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError("target: an http check needs an http:// or https:// URL")
        return self

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.target.rpartition(":")
        return host.strip("[]"), int(port)


class EventLoop(_Strict):
    """``[health.event_loop]``: the scheduling lag that turns liveness to warn, then to fail."""

    warn_after: Seconds = 0.5
    fail_after: Seconds = 10.0


class Health(_Strict):
    """``[health]``."""

    service_id: str = "petsage-api"
    memory_warn_mib: Annotated[float, Field(gt=0)] = 512.0
    event_loop: EventLoop = Field(default_factory=EventLoop)
    checks: list[DependencyCheck] = []

    @model_validator(mode="after")
    def _names_are_unique(self) -> Self:
        seen = set(_BUILT_IN)
        for index, check in enumerate(self.checks):
            if check.name in seen:
                raise ValueError(f"checks[{index}].name: {check.name!r} is already taken")
            seen.add(check.name)
        return self


class HealthConfig(_Strict):
    health: Health = Field(default_factory=Health)


class ConfigError(Exception):
    """Raised when the configuration file cannot be read or is invalid; the message says where."""


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else part
    return path


def load_health_config(path: Path | None) -> HealthConfig:
    """The configuration in ``path``, or the defaults when there is none."""
    if path is None:
        return HealthConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        return HealthConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where, message = _location(first["loc"]), first["msg"].removeprefix("Value error, ")
        # Our validators name the key below the model they check: "checks[2].name: ...".
        key, _, problem = message.partition(": ")
        if problem and " " not in key:
            where, message = f"{where}.{key}" if where else key, problem
        raise ConfigError(f"{path}: {where}: {message}") from None
