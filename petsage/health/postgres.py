"""``type = "postgres"``: log in to PostgreSQL and run ``SELECT 1``, with asyncpg.

Why asyncpg rather than psycopg 3: it is asyncio through and through, so the runner's timeout
cancels a connect or a query at any await, and a frozen server costs nothing past it (psycopg's
async cancellation of a running query sends a cancel request to the server it is waiting on); its
errors are typed by SQLSTATE even while logging in, so a refused connection, a failed login and a
failed query are told apart without reading messages; and its wheels need no libpq. It reads the
URLs libpq users write (``postgresql://user:pw@host:port/db?sslmode=require``, ``sslrootcert``,
``passfile``, several hosts).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from petsage.health.sessions import AUTHENTICATION_FAILED, Failure, SessionCheck

# What the server's log and pg_stat_activity call the session.
_APPLICATION_NAME = "petsage-health"


def _sqlstate(error: asyncpg.PostgresError) -> str:
    return f"SQLSTATE {error.sqlstate}" if error.sqlstate else type(error).__name__


class PostgresCheck(SessionCheck[Any]):
    """Passes when ``SELECT 1`` answers on the session, which is opened on the first run."""

    async def connect(self, url: str, password: str | None) -> Any:
        try:
            return await asyncpg.connect(
                url,
                password=password,
                server_settings={"application_name": _APPLICATION_NAME},
                # The runner's timeout bounds the whole run; asyncpg's own would fire after it.
                timeout=60,
                statement_cache_size=0,
            )
        except asyncpg.InvalidAuthorizationSpecificationError as error:
            raise Failure(AUTHENTICATION_FAILED) from error
        except asyncpg.PostgresError as error:
            # Logged in but refused: no such database, too many connections, starting up.
            raise Failure(f"cannot log in: {_sqlstate(error)}") from error
        except asyncpg.InterfaceError as error:
            raise Failure("cannot log in: protocol error") from error

    async def ask(self, session: Any) -> None:
        try:
            await session.execute("SELECT 1")
        except asyncpg.PostgresConnectionError as error:
            raise Failure("query failed: connection lost", session_lost=True) from error
        except asyncpg.PostgresError as error:
            raise Failure(f"query failed: {_sqlstate(error)}") from error
        except (asyncpg.InterfaceError, asyncpg.InternalClientError, OSError) as error:
            raise Failure("query failed: connection lost", session_lost=True) from error

    def usable(self, session: Any) -> bool:
        return not session.is_closed()

    async def close(self, session: Any) -> None:
        session.terminate()  # closes the socket; sends nothing
