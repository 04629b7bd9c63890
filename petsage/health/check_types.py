"""The dependency check types of the configuration file: one model per ``type``, each building its
check. Adding a type is one model here and one member of ``CheckConfig``.

Each model forbids the keys that do not apply to its type. A driver that is an optional extra is
imported when a file names its type, so a missing one is a configuration error naming the extra.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Annotated, ClassVar, Literal, Self, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from petsage.health.checks import MAX_NAME_LENGTH, NAME_PATTERN
from petsage.health.credentials import Password
from petsage.health.dependencies import HttpCheck, TcpCheck
from petsage.health.typing import CONFIG_FILE_TTL, DEFAULT_TIMEOUT, Check, Registration

Seconds = Annotated[float, Field(gt=0, le=60)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _needs_driver(module: str, extra: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        raise ValueError(
            f"the {extra} check needs its driver: pip install 'petsage[{extra}]'"
        ) from None


def _url(target: str, schemes: tuple[str, ...], what: str) -> str:
    # The message never repeats the target: it may carry a password.
    problem = f"{what} needs a {' or '.join(s + '://' for s in schemes)} URL"
    try:
        url = urlsplit(target)
        url.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise ValueError(problem) from None
    if url.scheme not in schemes or not url.hostname:
        raise ValueError(problem)
    return target


class _Check(Strict, ABC):
    """The keys every ``[[health.checks]]`` table has."""

    name: Annotated[str, Field(pattern=NAME_PATTERN.pattern, max_length=MAX_NAME_LENGTH)]
    timeout: Seconds = DEFAULT_TIMEOUT
    critical: bool = True
    ttl: Annotated[float, Field(ge=0)] = CONFIG_FILE_TTL

    @abstractmethod
    def build(self) -> Check:
        """The check this table describes."""

    def registration(self) -> Registration:
        return Registration(
            self.build(),
            timeout=self.timeout,
            critical=self.critical,
            ttl=self.ttl,
            measurement="responseTime",
        )


class TcpConfig(_Check):
    """``type = "tcp"``: a TCP connection to ``host:port`` opens."""

    type: Literal["tcp"]
    target: str = Field(description="host:port")

    @field_validator("target")
    @classmethod
    def _host_port(cls, target: str) -> str:
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("a tcp check needs host:port")
        return target

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.target.rpartition(":")
        return host.strip("[]"), int(port)

    def build(self) -> Check:
        return TcpCheck(self.name, *self.host_port)


class HttpConfig(_Check):
    """``type = "http"``: ``GET target`` answers with a status in ``expect_status``."""

    type: Literal["http"]
    target: str = Field(repr=False, description="an http(s) URL; userinfo is sent as Basic auth")
    expect_status: tuple[
        Annotated[int, Field(ge=100, le=599)], Annotated[int, Field(ge=100, le=599)]
    ] = Field(default=(200, 299), description="inclusive range")
    ca_file: Path | None = Field(
        default=None, description="PEM file of the CAs an https target is verified against"
    )

    @field_validator("target")
    @classmethod
    def _http_url(cls, target: str) -> str:
        return _url(target, ("http", "https"), "an http check")

    @field_validator("expect_status")
    @classmethod
    def _ordered(cls, bounds: tuple[int, int]) -> tuple[int, int]:
        if bounds[0] > bounds[1]:
            raise ValueError("the lowest status comes first")
        return bounds

    def build(self) -> Check:
        return HttpCheck(self.name, self.target, *self.expect_status, ca_file=self.ca_file)


class _WithPassword(_Check):
    """A check that logs in: the password is in ``target``, or in a file, or in a variable."""

    password_file: Path | None = Field(
        default=None, description="file holding the password (a mounted Secret); read on connect"
    )
    password_env: str | None = Field(
        default=None, min_length=1, description="environment variable holding the password"
    )

    @model_validator(mode="after")
    def _one_password(self) -> Self:
        given = [
            key
            for key, value in (
                ("target", urlsplit(getattr(self, "target", "")).password),
                ("password_file", self.password_file),
                ("password_env", self.password_env),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"{given[1]}: the password is given twice ({' and '.join(given)})")
        if self.password_file is not None and not self.password_file.is_file():
            raise ValueError("password_file: no such file")
        return self

    @property
    def password(self) -> Password:
        return Password(file=self.password_file, env=self.password_env)


class _DatastoreConfig(_WithPassword):
    """A check of a datastore through its driver (an optional extra), at a URL of its schemes."""

    driver: ClassVar[str]  # the module the driver is imported as
    extra: ClassVar[str]  # the extra that installs it: petsage[<extra>]
    schemes: ClassVar[tuple[str, ...]]

    @field_validator("type", check_fields=False)
    @classmethod
    def _driver_installed(cls, kind: str) -> str:
        _needs_driver(cls.driver, cls.extra)
        return kind

    @field_validator("target", check_fields=False)
    @classmethod
    def _target_url(cls, target: str) -> str:
        return _url(target, cls.schemes, f"a {cls.extra} check")


class PostgresConfig(_DatastoreConfig):
    """``type = "postgres"``: log in and run ``SELECT 1``."""

    driver, extra, schemes = "asyncpg", "postgres", ("postgresql", "postgres")
    type: Literal["postgres"]
    target: str = Field(
        repr=False, description="postgresql://user[:password]@host[:port]/db[?sslmode=...]"
    )

    def build(self) -> Check:
        from petsage.health.postgres import PostgresCheck

        return PostgresCheck(self.name, self.target, self.password)


class RedisConfig(_DatastoreConfig):
    """``type = "redis"``: log in and ``PING``."""

    driver, extra, schemes = "redis", "redis", ("redis", "rediss")
    type: Literal["redis"]
    target: str = Field(
        repr=False, description="redis://[[user]:password@]host[:port][/db], rediss:// for TLS"
    )

    def build(self) -> Check:
        from petsage.health.redis import RedisCheck

        return RedisCheck(self.name, self.target, self.password)


_TYPES = (TcpConfig, HttpConfig, PostgresConfig, RedisConfig)
CheckConfig = Annotated[
    TcpConfig | HttpConfig | PostgresConfig | RedisConfig, Field(discriminator="type")
]
# The value of ``type`` that selects each model.
CHECK_TYPES = tuple(get_args(model.model_fields["type"].annotation)[0] for model in _TYPES)
