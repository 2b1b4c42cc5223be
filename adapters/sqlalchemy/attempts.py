"""Rate-limit tallies in the database every worker and server shares.

Each attempt is one upsert whose new values are computed by the database from the row it
finds, never from a value read earlier: concurrent attempts on one key serialize on its row
(MySQL's row lock, SQLite's write lock) and all count, and on a multi-primary cluster a
conflicting write fails certification and is run again rather than overwriting another node's
count. Every assignment reads only the row's old values, so the result is the same whether the
server applies them left to right (MySQL, MariaDB by default) or all at once (MariaDB's
SIMULTANEOUS_ASSIGNMENT, SQLite).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, delete, func, select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.sql.dml import Insert

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import UtcDateTime, attempt_counters
from application.ports import AttemptCounter
from domain.attempts import Limit, Tally

_counters = attempt_counters.c
_NOW = bindparam("now", type_=UtcDateTime())
_WINDOW_END = bindparam("window_end", type_=UtcDateTime())
_HOLD_UNTIL = bindparam("hold_until", type_=UtcDateTime())
_EXPIRED = _counters.expires_at <= _NOW

_LIVE_TALLIES = select(
    _counters.counter_key, _counters.attempts, _counters.last_at, _counters.expires_at
).where(_counters.counter_key.in_(bindparam("keys", expanding=True)), _counters.expires_at > _NOW)
_CLEAR = delete(attempt_counters).where(_counters.counter_key == bindparam("key"))
_FIRST_ATTEMPT: dict[str, Any] = {
    "counter_key": bindparam("key"),
    "attempts": 1,
    "last_at": _NOW,
    "expires_at": bindparam("first_expires_at", type_=UtcDateTime()),
}


def _next_values(later: Any) -> list[tuple[str, ColumnElement[Any]]]:
    """What `Limit.counted` does to a stored tally; `later` is the dialect's two-argument
    maximum. Attempts first: only ever old values are read."""
    return [
        ("attempts", case((_EXPIRED, 1), else_=_counters.attempts + 1)),
        (
            "expires_at",
            later(case((_EXPIRED, _WINDOW_END), else_=_counters.expires_at), _HOLD_UNTIL),
        ),
        ("last_at", later(_counters.last_at, _NOW)),
    ]


def _mysql_add() -> Insert:
    statement = mysql.insert(attempt_counters).values(_FIRST_ATTEMPT)
    return statement.on_duplicate_key_update(_next_values(func.greatest))


def _sqlite_add() -> Insert:
    statement = sqlite.insert(attempt_counters).values(_FIRST_ATTEMPT)
    return statement.on_conflict_do_update(
        index_elements=[_counters.counter_key], set_=dict(_next_values(func.max))
    )


_ADD = {"mysql": _mysql_add(), "mariadb": _mysql_add(), "sqlite": _sqlite_add()}


class SqlAlchemyAttemptCounter(AttemptCounter):
    """Shares the request's transaction: its writes commit with the use case's unit of work."""

    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        result = await self._database.execute(_LIVE_TALLIES, {"keys": list(keys), "now": now})
        return {row.counter_key: Tally(row.attempts, row.last_at, row.expires_at) for row in result}

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        await self._database.execute(
            _ADD[self._database.dialect_name],
            {
                "key": key,
                "now": now,
                "first_expires_at": limit.counted(None, now).expires_at,
                "window_end": now + limit.window,
                "hold_until": now + limit.hold,
            },
        )

    async def clear(self, key: str) -> None:
        await self._database.execute(_CLEAR, {"key": key})
