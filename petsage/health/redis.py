"""``type = "redis"``: log in to Redis and ``PING``, with redis-py's asyncio client.

The client keeps one connection between runs. redis-py closes a connection whose command was
cancelled or failed, without waiting on the server; the check then drops the whole client. Its
own retries are off: the runner decides when to try again.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, ConnectionError, RedisError

from petsage.health.sessions import AUTHENTICATION_FAILED, Failure, SessionCheck


class RedisCheck(SessionCheck[Redis]):
    """Passes when ``PING`` answers ``PONG``."""

    async def connect(self, url: str, password: str | None) -> Redis:
        # No I/O yet: the client connects, and logs in, on its first command.
        return Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0),
            max_connections=1,
            client_name="petsage-health",
            password=password,  # None leaves the URL's
        )

    async def ask(self, session: Redis) -> None:
        try:
            answer = await session.ping()
        except AuthenticationError as error:
            raise Failure(AUTHENTICATION_FAILED) from error
        except ConnectionError as error:
            # redis-py raises its own error from the socket's, whose reason says what happened.
            if isinstance(error.__context__, OSError):
                raise error.__context__ from None
            raise Failure("PING failed: connection lost", session_lost=True) from error
        except RedisError as error:
            # An error answer (redis-py's class names its code: NoPermissionError for NOPERM).
            raise Failure(f"PING failed: {type(error).__name__}") from error
        if answer is not True:
            raise Failure("PING failed: unexpected answer")

    async def close(self, session: Redis) -> None:
        await session.aclose()
