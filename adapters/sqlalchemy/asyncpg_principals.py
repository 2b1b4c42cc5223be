"""The query behind every protected request, on PostgreSQL straight through the asyncpg driver:
the same deliberate raw read path as `asyncmy_principals` on MySQL, beside the SQL adapter whose
statement it runs.

It is `SqlAlchemyPrincipalFinder`'s question, compiled once by SQLAlchemy, asked for the requests
of a moment together (`principal_batches`) on a few connections of its own
(`AsyncpgConnections`) outside any transaction: at most one round trip per request. Through
SQLAlchemy's connection the same read would also send BEGIN and, on return to the pool, ROLLBACK.
asyncpg prepares the statement on each connection the first time and then only executes it (its
statement cache): the server neither parses nor plans it again, and the row comes back in binary.
A prepared statement still reads the tables afresh on every execution, so a sign-out or a role
change is seen by the next request. The connections are made with the arguments SQLAlchemy's
own dialect derives from DATABASE_URL, and the same server settings as the engine's.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import (
    POOL_RECYCLE_SECONDS,
    connect_timeout,
    postgres_server_settings,
)
from adapters.sqlalchemy.principal_batches import BatchedPrincipalFinder, BatchStatements

_STATEMENTS = BatchStatements(asyncpg_dialect.dialect())  # type: ignore[no-untyped-call]
_GOODBYE_SECONDS = 0.5


def asyncpg_connect_args(url: URL) -> dict[str, Any]:
    """The driver's arguments as SQLAlchemy's own dialect derives them from the URL."""
    _, arguments = url.get_dialect()().create_connect_args(url)
    return dict(arguments)


class AsyncpgConnections:
    """At most `size` connections, the idle ones kept last in, first out, opened only when a
    read finds none idle (so a database down at start gives 503s, not a worker that cannot
    start), and each renewed after POOL_RECYCLE_SECONDS.

    Not asyncpg's own pool: it shields every release in a task of its own and resets the
    connection (RESET ALL, UNLISTEN and more: a round trip), which together cost about as much
    CPU as the read itself. These connections only ever run the one read, outside a
    transaction, and set nothing, so there is nothing to reset."""

    def __init__(self, url: URL, size: int, deadline: float) -> None:
        self._arguments = asyncpg_connect_args(url)
        self._timeout = connect_timeout(deadline)
        self._server_settings = postgres_server_settings(deadline)
        self._free = asyncio.Semaphore(size)
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one read. If the read fails or is cancelled, the connection is
        dropped: it is in an unknown state (a timed-out query may still answer on it later)."""
        async with self._free:
            connection, opened = await self._take()
            try:
                yield connection
            except BaseException:
                connection.terminate()
                raise
            if self._closed or connection.is_closed() or connection.is_in_transaction():
                connection.terminate()
            else:
                self._idle.append((connection, opened))

    async def close(self) -> None:
        """Says goodbye to the server on each idle connection (a dropped socket would log an
        error there for every worker that stops), all at once and a moment at most."""
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_goodbye(connection) for connection, _ in idle))

    async def _take(self) -> tuple[asyncpg.Connection, float]:
        now = time.monotonic()
        while self._idle:
            connection, opened = self._idle.pop()
            if not connection.is_closed() and now - opened < POOL_RECYCLE_SECONDS:
                return connection, opened
            connection.terminate()
        connection = await asyncpg.connect(
            timeout=self._timeout, server_settings=self._server_settings, **self._arguments
        )
        return connection, now


async def _goodbye(connection: asyncpg.Connection) -> None:
    try:
        async with asyncio.timeout(_GOODBYE_SECONDS):
            await connection.close()
    except (TimeoutError, OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
        connection.terminate()


@contextlib.asynccontextmanager
async def asyncpg_connections(
    url: URL, size: int, deadline: float
) -> AsyncIterator[AsyncpgConnections]:
    connections = AsyncpgConnections(url, size, deadline)
    try:
        yield connections
    finally:
        await connections.close()


class AsyncpgPrincipalFinder(BatchedPrincipalFinder):
    driver_errors = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

    def __init__(self, connections: AsyncpgConnections, deadline: float) -> None:
        super().__init__(_STATEMENTS, deadline)
        self._connections = connections

    async def _rows(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Any]:
        async with self._connections.connection() as connection:
            rows: Sequence[Any] = await connection.fetch(sql, *parameters)
        return rows
