"""The health configuration: a TOML file, validated into pydantic models before serving."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from petsage.health.check_types import CHECK_TYPES, CheckConfig, Seconds, Strict
from petsage.health.system import BUILT_IN_NAMES


class EventLoop(Strict):
    """``[health.event_loop]``: the scheduling lag that turns liveness to warn, then to fail."""

    warn_after: Seconds = 0.5
    fail_after: Seconds = 10.0

    @model_validator(mode="after")
    def _warn_first(self) -> Self:
        if self.warn_after >= self.fail_after:
            raise ValueError("warn_after: must be below fail_after")
        return self


class Health(Strict):
    """``[health]``."""

    service_id: str = "petsage-api"
    memory_warn_mib: Annotated[float, Field(gt=0)] = 512.0
    event_loop: EventLoop = Field(default_factory=EventLoop)
    checks: list[CheckConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_are_unique(self) -> Self:
        seen = set(BUILT_IN_NAMES)
        for index, check in enumerate(self.checks):
            if check.name in seen:
                raise ValueError(f"checks[{index}].name: {check.name!r} is already taken")
            seen.add(check.name)
        return self


class HealthConfig(Strict):
    health: Health = Field(default_factory=Health)

    @property
    def check_names(self) -> list[str]:
        """The names the built-in and the configured checks take."""
        return [*BUILT_IN_NAMES, *(check.name for check in self.health.checks)]


class ConfigError(Exception):
    """Raised when the configuration file cannot be read or is invalid: one line per problem,
    each naming the file and the key."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))
        self.problems = problems


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif index and isinstance(loc[index - 1], int) and part in CHECK_TYPES:
            continue  # the union's tag: the table's own `type` says which model checked it
        else:
            path += f".{part}" if path else part
    return path


def _problem(error: ErrorDetails) -> str:
    """``key: problem`` for one validation error; never the value, which may be a password."""
    where, message = _location(error["loc"]), error["msg"].removeprefix("Value error, ")
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        where += ".type"
        message = f"must be one of {', '.join(map(repr, CHECK_TYPES))}"
    # Our validators name the key below the model they check: "checks[2].name: ...".
    key, _, problem = message.partition(": ")
    if problem and " " not in key:
        where, message = f"{where}.{key}" if where else key, problem
    return f"{where}: {message}"


def load_health_config(path: Path | None) -> HealthConfig:
    """The configuration in ``path``, or the defaults when there is none."""
    if path is None:
        return HealthConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(path, [f"cannot read: {error.strerror}"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"not valid TOML: {error}"]) from None
    try:
        return HealthConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(path, [_problem(e) for e in error.errors(include_input=False)]) from None
