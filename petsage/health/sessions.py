"""Checks that log in to a dependency and ask it something, over one session reused between runs.

A run that fails in any way, the runner's timeout cancelling it included, drops the session, so
the next run connects afresh. The public ``output`` is one of a few short phrases; the log line
has the driver's message with the URL's userinfo removed and any password blotted out.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Generic, TypeVar
from urllib.parse import unquote, urlsplit

from petsage.health.credentials import Password, PasswordUnavailableError
from petsage.health.dependencies import elapsed_ms, redact, unreachable
from petsage.health.models import CheckResult

logger = logging.getLogger(__name__)

SessionT = TypeVar("SessionT")

AUTHENTICATION_FAILED = "authentication failed"


class Failure(Exception):
    """Raised by a session check's steps with the public ``output`` for what went wrong."""

    def __init__(self, output: str) -> None:
        super().__init__(output)
        self.output = output


class SessionCheck(ABC, Generic[SessionT]):
    """Connect (once), then ask; subclasses say how, and which ``output`` each error gets."""

    def __init__(self, name: str, url: str, password: Password) -> None:
        self.name = name
        self._url = url
        self._password = password
        self._session: SessionT | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {redact(self._url)!r})"

    @abstractmethod
    async def connect(self, url: str, password: str | None) -> SessionT:
        """A logged-in session; raises ``Failure`` (or ``OSError`` when unreachable)."""

    @abstractmethod
    async def ask(self, session: SessionT) -> None:
        """Ask the session the check's question; raises ``Failure`` when the answer is wrong."""

    def usable(self, session: SessionT) -> bool:
        """Whether ``session`` is still open: one the server ended between runs is replaced."""
        return True

    @abstractmethod
    async def close(self, session: SessionT) -> None:
        """Drop ``session`` without waiting on the server, which may be frozen."""

    async def check(self) -> CheckResult:
        started = asyncio.get_running_loop().time()
        passwords: list[str] = []
        try:
            if self._session is not None and not self.usable(self._session):
                await self._drop()
            if self._session is None:
                password = self._password.read()
                passwords = [p for p in (password, urlsplit(self._url).password) if p]
                self._session = await self.connect(self._url, password)
            await self.ask(self._session)
        except PasswordUnavailableError as error:
            return self._fail(str(error), error, passwords)
        except OSError as error:
            await self._drop()
            return unreachable(self.name, redact(self._url), error)
        except Failure as error:
            await self._drop()
            cause = error.__cause__ or error
            return self._fail(error.output, cause, passwords)
        except BaseException:
            await self._drop()  # the runner's timeout, or an error the runner reports
            raise
        return CheckResult(observed_value=elapsed_ms(started), observed_unit="ms")

    async def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await self.close(session)

    def _fail(self, output: str, error: BaseException, passwords: list[str]) -> CheckResult:
        detail = f"{type(error).__name__}: {error}"
        for secret in passwords:
            detail = detail.replace(secret, "***").replace(unquote(secret), "***")
        logger.warning("health check %r: %s: %s", self.name, redact(self._url), detail)
        return CheckResult(status="fail", output=output)
