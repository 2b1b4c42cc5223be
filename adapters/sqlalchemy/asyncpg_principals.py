"""The query behind every protected request, on PostgreSQL straight through the asyncpg driver:
the same deliberate raw read path as `asyncmy_principals` on MySQL, beside the SQL adapter whose
statement it runs.

It is `SqlAlchemyPrincipalFinder`'s statement, compiled once by SQLAlchemy, run on a small pool
of connections of its own outside any transaction: one round trip per request. Through
SQLAlchemy's connection the same read would also send BEGIN and, on return to the pool, ROLLBACK.
asyncpg prepares the statement on each connection the first time and then only executes it (its
statement cache): the server neither parses nor plans it again, and the row comes back in binary.
A prepared statement still reads the tables afresh on every execution, so a sign-out or a role
change is seen by the next request. The pool connects with the arguments SQLAlchemy's own
dialect derives from DATABASE_URL, and the same server settings as the engine's connections.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import (
    POOL_RECYCLE_SECONDS,
    connect_timeout,
    postgres_server_settings,
)
from adapters.sqlalchemy.failures import is_disconnect, storage_failure
from adapters.sqlalchemy.principals import PRINCIPAL_QUERY, principal_from
from adapters.sqlalchemy.tables import naive_utc
from application.ports.sessions import PrincipalFinder
from domain.user import Principal

_COMPILED = PRINCIPAL_QUERY.compile(dialect=asyncpg_dialect.dialect())  # type: ignore[no-untyped-call]
_SQL = str(_COMPILED)
_PARAMETER_ORDER = tuple(_COMPILED.positiontup or ())


def asyncpg_connect_args(url: URL) -> dict[str, Any]:
    """The driver's arguments as SQLAlchemy's own dialect derives them from the URL."""
    _, arguments = url.get_dialect()().create_connect_args(url)
    return dict(arguments)


async def _keep_as_is(_connection: asyncpg.Connection) -> None:
    """Instead of asyncpg's reset on release (RESET ALL, UNLISTEN and more: a round trip on
    every request): this pool's connections only ever run the one read, outside a transaction,
    and set nothing. An open transaction would still be rolled back by asyncpg first."""


@contextlib.asynccontextmanager
async def asyncpg_pool(url: URL, size: int, deadline: float) -> AsyncIterator[asyncpg.Pool]:
    # min_size 0: nothing connects before the first request, so a database that is down at
    # start gives 503s, not a worker that cannot start.
    pool = asyncpg.create_pool(
        min_size=0,
        max_size=size,
        max_inactive_connection_lifetime=POOL_RECYCLE_SECONDS,
        reset=_keep_as_is,
        timeout=connect_timeout(deadline),
        server_settings=postgres_server_settings(deadline),
        **asyncpg_connect_args(url),
    )
    await pool
    try:
        yield pool
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(deadline):
                await pool.close()
        pool.terminate()


class AsyncpgPrincipalFinder(PrincipalFinder):
    def __init__(self, pool: asyncpg.Pool, deadline: float) -> None:
        self._pool = pool
        self._deadline = deadline

    async def find(self, user_id: int, session_id: str, now: datetime) -> Principal | None:
        values = {"session_id": session_id, "user_id": user_id, "now": naive_utc(now)}
        parameters = tuple(values[name] for name in _PARAMETER_ORDER)
        try:
            async with asyncio.timeout(self._deadline):
                rows = await self._rows(parameters)
        except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            raise storage_failure(error) from error
        return principal_from(user_id, session_id, (row[0] for row in rows))

    async def _rows(self, parameters: tuple[Any, ...]) -> Sequence[Any]:
        try:
            return await self._query(parameters)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            if not is_disconnect(error):
                raise
        # A pooled connection the server dropped while it idled (a restart, a failover): a read
        # is safe to repeat, on a fresh connection.
        return await self._query(parameters)

    async def _query(self, parameters: tuple[Any, ...]) -> Sequence[Any]:
        async with self._pool.acquire() as connection:
            try:
                rows: Sequence[Any] = await connection.fetch(_SQL, *parameters)
            except BaseException:
                # Closed here, the pool opens a new one instead of lending this one out again in
                # an unknown state (a timed-out query may still answer on it later).
                connection.terminate()
                raise
        return rows
