"""The query behind every protected request, on MySQL straight through the asyncmy driver: a
deliberate raw read path, beside the SQL adapter whose statement it runs.

It is `SqlAlchemyPrincipalFinder`'s question, compiled once by SQLAlchemy, asked for the
requests of a moment together (`principal_batches`) on a small pool of autocommit connections of
its own: at most one round trip per request, with no transaction to begin or roll back and none
of SQLAlchemy's per-execution work, which together cost several times the query itself
(`make bench`, README: Performance). The pool connects with the same options the
engine derives from DATABASE_URL (ssl, unix socket, charset included).

Each connection prepares the statement on the server once (asyncmy's statement cache, the binary
protocol) and then only executes it: the server neither parses nor plans it again, the driver
neither escapes the parameters into SQL text nor parses the column's description again, and the
row comes back in binary. Still one round trip, and still the rows as they are now: a prepared
statement reads the tables afresh on every execution, so a sign-out or a role change is seen by
the next request. A server that refuses to prepare it gets the text protocol, as before.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncmy
from asyncmy.pool import Pool
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import (
    CAUSAL_READS_STATEMENT,
    POOL_RECYCLE_SECONDS,
    connect_timeout,
)
from adapters.sqlalchemy.principal_batches import (
    STATEMENTS_PER_CONNECTION,
    BatchedPrincipalFinder,
    BatchStatements,
)

_STATEMENTS = BatchStatements(mysql.dialect())


def asyncmy_connect_args(url: URL) -> dict[str, Any]:
    """The driver's arguments as SQLAlchemy's own dialect derives them from the URL."""
    _, arguments = url.get_dialect()().create_connect_args(url)
    return dict(arguments)


@contextlib.asynccontextmanager
async def asyncmy_pool(
    url: URL, size: int, deadline: float, *, causal_reads: bool = False
) -> AsyncIterator[Pool]:
    """`causal_reads`: each connection waits for its Galera node to catch up before every read
    (set once as it connects, so it costs no round trip of its own): a session ended or a role
    taken away on another node is refused here at once."""
    arguments = asyncmy_connect_args(url)
    if causal_reads:
        arguments["init_command"] = CAUSAL_READS_STATEMENT
    # minsize 0: nothing connects before the first request, so a database that is down at start
    # gives 503s, not a worker that cannot start.
    pool = await asyncmy.create_pool(
        minsize=0,
        maxsize=size,
        pool_recycle=POOL_RECYCLE_SECONDS,
        autocommit=True,
        stmt_cache_size=STATEMENTS_PER_CONNECTION,
        connect_timeout=connect_timeout(deadline),
        **arguments,
    )
    try:
        yield pool
    finally:
        pool.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(deadline):
                await pool.wait_closed()


class AsyncmyPrincipalFinder(BatchedPrincipalFinder):
    driver_errors = (asyncmy.errors.Error, OSError)

    def __init__(self, pool: Pool, deadline: float) -> None:
        super().__init__(_STATEMENTS, deadline)
        self._pool = pool

    async def _rows(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Any]:
        async with self._pool.acquire() as connection:
            try:
                async with connection.cursor() as cursor:
                    await cursor.execute(sql, parameters)
                    rows: Sequence[Any] = await cursor.fetchall()
            except BaseException:
                # Closed here, the pool drops it on release instead of lending it out again in
                # an unknown state (a timed-out query may still answer on it later).
                connection.close()
                raise
        return rows
