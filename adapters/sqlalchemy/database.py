"""One request's connection to the database, and the edge where driver failures become the
application's storage errors.

Every call runs under the request's deadline: pool checkout, connect and handshake, statements,
commit. A connection that timed out or lost its server is invalidated (closed without a word to
the server) and never goes back to the pool, so a stalled database cannot leave the pool full of
connections stuck on it; the next request opens a fresh one.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, Executable, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.failures import is_disconnect, storage_failure
from application.common.errors import StorageConflict, StorageUnavailable
from application.common.outcomes import UnavailableCause
from application.ports.storage import StorageProbe, UnitOfWork

Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
# Closing a connection that is already in doubt gets this long, whatever is left of the deadline.
_CLOSE_GRACE = 0.5
_PING = select(1)


class SqlAlchemyDatabase(UnitOfWork, StorageProbe):
    """Opened on first use; the repositories of one request share it, and its transaction."""

    def __init__(self, engine: AsyncEngine, deadline: float) -> None:
        self._engine = engine
        self._deadline = asyncio.get_running_loop().time() + deadline
        self._connection: AsyncConnection | None = None

    @property
    def dialect_name(self) -> str:
        """`mysql`, `mariadb`, `sqlite` or `postgresql`: for the few statements each spells its own
        way."""
        return self._engine.dialect.name

    async def execute(
        self, statement: Executable, parameters: Parameters = None
    ) -> CursorResult[Any]:
        fresh = self._connection is None or not self._connection.in_transaction()
        try:
            async with self._guarded():
                connection = await self._connected()
                return await connection.execute(statement, parameters)
        except StorageUnavailable as failure:
            # A pooled connection the server dropped while it idled (a restart, a failover)
            # fails on its first statement; nothing was done on it yet, so one more try on a
            # fresh connection is safe, and spares the client a 503 once the database is back.
            if not (
                fresh and failure.kind == UnavailableCause.UNREACHABLE and self._connection is None
            ):
                raise
        async with self._guarded():
            connection = await self._connected()
            return await connection.execute(statement, parameters)

    async def ping(self) -> None:
        await self.execute(_PING)

    async def commit(self) -> None:
        if self._connection is not None:
            async with self._guarded():
                await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is None or self._connection.invalidated:
            return
        try:
            async with self._guarded():
                await self._connection.rollback()
        except StorageConflict:
            # A cluster node that aborted the transaction for another node's write set (Galera's
            # brute-force abort) may answer the rollback with the same deadlock: the transaction
            # is gone all the same. The connection is dropped rather than trusted, so that the
            # conflict reaches the caller's retry as the conflict it is, not as a failed rollback.
            connection, self._connection = self._connection, None
            await _invalidate(connection)

    async def close(self) -> None:
        """Returns the connection to the pool, which rolls back what was not committed."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            deadline = max(self._deadline, asyncio.get_running_loop().time() + _CLOSE_GRACE)
            async with asyncio.timeout_at(deadline):
                await connection.close()
        except (TimeoutError, DBAPIError, OSError):
            await _invalidate(connection)

    async def _connected(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
        return self._connection

    @contextlib.asynccontextmanager
    async def _guarded(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout_at(self._deadline):
                yield
        except IntegrityError:
            raise  # a rule of the data (a duplicate): the repositories say which
        except (TimeoutError, PoolTimeout, DBAPIError, OSError) as error:
            if self._connection is not None and is_disconnect(error):
                connection, self._connection = self._connection, None
                await _invalidate(connection)
            raise storage_failure(error) from error


async def _invalidate(connection: AsyncConnection) -> None:
    """Drops the connection without a word to the server: the pool opens a new one instead."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_CLOSE_GRACE):
            await connection.invalidate()
            await connection.close()
