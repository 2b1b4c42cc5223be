"""The query behind every protected request, on MySQL straight through the asyncmy driver.

It is the same statement as `SqlAlchemyPrincipalFinder`'s, compiled once by SQLAlchemy, but run on
a small pool of autocommit connections of its own: one round trip per request, with no
transaction to begin or roll back and none of SQLAlchemy's per-execution work, which together
cost several times the query itself (`make bench`, README: Performance).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncmy
from asyncmy.pool import Pool
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL

from adapters.sqlalchemy.principals import PRINCIPAL_QUERY, principal_from
from adapters.sqlalchemy.tables import naive_utc
from domain.user import Principal

_COMPILED = PRINCIPAL_QUERY.compile(dialect=mysql.dialect())
_SQL = str(_COMPILED)
_PARAMETER_ORDER = tuple(_COMPILED.positiontup or ())


@asynccontextmanager
async def asyncmy_pool(url: URL, size: int) -> AsyncIterator[Pool]:
    pool = await asyncmy.create_pool(
        minsize=1,
        maxsize=size,
        pool_recycle=3600,
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        db=url.database,
        charset="utf8mb4",
        autocommit=True,
    )
    try:
        yield pool
    finally:
        pool.close()
        await pool.wait_closed()


class AsyncmyPrincipalFinder:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def find(self, user_id: int, session_id: str, now: datetime) -> Principal | None:
        values = {
            "session_id": session_id,
            "user_id": user_id,
            "now": naive_utc(now),
        }
        async with self._pool.acquire() as connection, connection.cursor() as cursor:
            await cursor.execute(_SQL, tuple(values[name] for name in _PARAMETER_ORDER))
            rows = await cursor.fetchall()
        return principal_from(user_id, session_id, (row[0] for row in rows))
