"""Checks that log in to a dependency and ask it something, over one session reused between runs.

A run that fails in any way, the runner's timeout cancelling it included, drops the session, so
the next run connects afresh. The public ``output`` is one of a few short phrases; the log line
has the driver's message with the URL's userinfo removed and any password blotted out.
"""

from __future__ import annotations

import logging
import time
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
    """Raised by a session check's steps with the public ``output`` for what went wrong;
    ``session_lost`` when the session itself broke, so that a new one may do better."""

    def __init__(self, output: str, *, session_lost: bool = False) -> None:
        super().__init__(output)
        self.output = output
        self.session_lost = session_lost


class SessionCheck(ABC, Generic[SessionT]):
    """Connect (once), then ask; subclasses say how, and which ``output`` each error gets."""

    def __init__(self, name: str, url: str, password: Password) -> None:
        self.name = name
        self._url = url
        self._password = password
        self._session: SessionT | None = None
        self._secrets: list[str] = []  # blotted out of log lines

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
        started = time.perf_counter()
        if self._session is not None and not self.usable(self._session):
            await self._drop()
        # A reused session the server ended just now gets one retry on a new one, as a pool
        # would: the check says whether the dependency takes connections, not whether it kept one.
        for retry in (self._session is not None, False):
            try:
                await self._run()
            except PasswordUnavailableError as error:
                return self._fail(str(error), error)
            except OSError as error:
                await self._drop()
                if retry:
                    continue
                return unreachable(self.name, redact(self._url), error)
            except Failure as error:
                await self._drop()
                if retry and error.session_lost:
                    continue
                return self._fail(error.output, error.__cause__ or error)
            except Exception as error:
                # Not the runner's generic report: the driver's message may hold the URL.
                await self._drop()
                return self._fail(f"check raised {type(error).__name__}", error)
            except BaseException:
                await self._drop()  # the runner's timeout cancelling the run
                raise
            break
        return CheckResult(observed_value=elapsed_ms(started), observed_unit="ms")

    async def _run(self) -> None:
        if self._session is None:
            password = self._password.read()
            self._secrets = [p for p in (password, urlsplit(self._url).password) if p]
            self._session = await self.connect(self._url, password)
        await self.ask(self._session)

    async def aclose(self) -> None:
        """Close the session, if one is open (the app's shutdown does)."""
        await self._drop()

    async def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await self.close(session)

    def _fail(self, output: str, error: BaseException) -> CheckResult:
        detail = f"{type(error).__name__}: {error}"
        for secret in self._secrets:
            detail = detail.replace(secret, "***").replace(unquote(secret), "***")
        logger.warning("health check %r: %s: %s", self.name, redact(self._url), detail)
        return CheckResult(status="fail", output=output)
