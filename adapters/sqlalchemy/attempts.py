"""Rate-limit tallies in the database every worker and server shares.

Each attempt is one upsert whose new values are computed by the database from the row it
finds, never from a value read earlier: concurrent attempts on one key serialize on its row
(MySQL's row lock, SQLite's write lock) and all count, and on a multi-primary cluster a
conflicting write fails certification and is run again rather than overwriting another node's
count. PostgreSQL's `INSERT ... ON CONFLICT DO UPDATE` locks the row it updates as MySQL's does.
Every assignment reads only the row's old values, so the result is the same whether the server
applies them left to right (MySQL, MariaDB by default) or all at once (MariaDB's
SIMULTANEOUS_ASSIGNMENT, SQLite, PostgreSQL).

A reservation (see the AttemptCounter port) decides from the tallies before it writes, so it takes
them first: an insert of placeholder rows (no attempts, expired, so no reader ever sees one) that
leaves existing rows as they are but locks them, all keys in one sorted order, in one multi-row
statement on MySQL and a row at a time elsewhere (PostgreSQL's `ON CONFLICT DO NOTHING` locks none:
there the read below takes them, in the same order); then it reads them (`FOR UPDATE`: the latest
committed values) and decides by `Limit.wait`; then, admitted, writes every key's `Limit.counted` in
one upsert. Concurrent reservations of one key wait for each other on its row (MySQL's row lock,
SQLite's write lock) for these three statements and the commit only, and each then decides on the
count the one before committed. On a multi-primary cluster, where row locks are the node's own, two
nodes reserving one key at once both write its row, and certification refuses the later commit: its
unit of work runs again and reads the count the other committed. A refused reservation's caller
rolls back, placeholders and all."""

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import UtcDateTime, attempt_counters
from application.ports.attempts import AttemptCounter, AttemptsReserved
from domain.attempts import Limit, Tally

_counters = attempt_counters.c
_NOW = bindparam("now", type_=UtcDateTime())
_WINDOW_END = bindparam("window_end", type_=UtcDateTime())
_HOLD_UNTIL = bindparam("hold_until", type_=UtcDateTime())
_EXPIRED = _counters.expires_at <= _NOW

_LIVE_TALLIES = select(
    _counters.counter_key, _counters.attempts, _counters.last_at, _counters.expires_at
).where(_counters.counter_key.in_(bindparam("keys", expanding=True)), _counters.expires_at > _NOW)
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


def _postgres_add() -> Insert:
    statement = postgresql.insert(attempt_counters).values(_FIRST_ATTEMPT)
    return statement.on_conflict_do_update(
        index_elements=[_counters.counter_key], set_=dict(_next_values(func.greatest))
    )


_ADD = {
    "mysql": _mysql_add(),
    "mariadb": _mysql_add(),
    "sqlite": _sqlite_add(),
    "postgresql": _postgres_add(),
}

# In key order: PostgreSQL takes the row locks here (its placeholder insert leaves existing rows
# unlocked), one row after another as they are sorted, so two reservations never hold each
# other's keys.
_TAKEN_TALLIES = (
    select(_counters.counter_key, _counters.attempts, _counters.last_at, _counters.expires_at)
    .where(_counters.counter_key.in_(bindparam("keys", expanding=True)))
    .order_by(_counters.counter_key)
    .with_for_update()
)
# Far in the past on every server's clock, however far they drift apart: a forgotten tally is
# expired for all of them at once, and the purge deletes it with the other expired ones.
_FORGOTTEN_AT = datetime(2000, 1, 1, tzinfo=UTC)
_FORGOTTEN = _counters.counter_key.in_(bindparam("forget", expanding=True))
_KEYS: BindParameter[str] = bindparam("keys", expanding=True)
# Attempts first, and the expiry reads only the key: the same in any assignment order.
_RELEASE_ANY_ORDER = (
    update(attempt_counters)
    .where(
        _counters.counter_key.in_(_KEYS),
        _counters.expires_at > _NOW,
        or_(_counters.attempts > 0, _FORGOTTEN),
    )
    .values(
        attempts=case((_FORGOTTEN, 0), else_=_counters.attempts - 1),
        expires_at=case(
            (_FORGOTTEN, bindparam("forgotten_at", type_=UtcDateTime())),
            else_=_counters.expires_at,
        ),
    )
)
# An UPDATE locks rows in the order it finds them: InnoDB by the primary key (the keys' order, as
# a reservation takes them), PostgreSQL often by a scan of the table, which would let a release
# and a reservation each hold a key the other waits for. There the rows are locked first, sorted.
_HELD_IN_ORDER = (
    select(_counters.counter_key)
    .where(_counters.counter_key.in_(_KEYS))
    .order_by(_counters.counter_key)
    .with_for_update()
    .subquery("held")
)
_RELEASE = {
    "mysql": _RELEASE_ANY_ORDER,
    "mariadb": _RELEASE_ANY_ORDER,
    "sqlite": _RELEASE_ANY_ORDER,
    "postgresql": _RELEASE_ANY_ORDER.where(_counters.counter_key == _HELD_IN_ORDER.c.counter_key),
}


_TALLY_COLUMNS = ("attempts", "last_at", "expires_at")


def _rows(tallies: Mapping[str, Tally]) -> list[dict[str, Any]]:
    """`_upsert`'s parameters, one row a key, in key order."""
    return [
        {
            "counter_key": key,
            "attempts": tally.count,
            "last_at": tally.last_at,
            "expires_at": tally.expires_at,
        }
        for key, tally in sorted(tallies.items())
    ]


@functools.cache
def _upsert(dialect: str, *, overwrite: bool) -> Insert:
    """Inserts a row; where its key has one already, overwrites it with the new values, or
    leaves it as it is. Either way the key's row is held when it is done (on SQLite, the
    database's write lock).

    One row a statement, run for every key in key order (`_rows`): a statement of several
    VALUES rows is one SQLAlchemy cannot cache (its own words: "multivalues are simply not
    cacheable right now"), so it compiled it anew on every reservation, about half a
    millisecond of CPU each, twice a signin. Run over a list of rows, this one is compiled once,
    and MySQL's driver still sends one multi-row INSERT (its executemany rewrites an INSERT ...
    VALUES ... ON DUPLICATE KEY UPDATE into one); SQLite and PostgreSQL run it row by row, in
    the same key order, in the same transaction, so the rows are held in that order as before."""
    values = {
        "counter_key": bindparam("counter_key"),
        "attempts": bindparam("attempts"),
        "last_at": bindparam("last_at", type_=UtcDateTime()),
        "expires_at": bindparam("expires_at", type_=UtcDateTime()),
    }
    if dialect in ("sqlite", "postgresql"):
        # PostgreSQL: an insert of a key another transaction has just inserted waits for that
        # one to end, so a new key's first reservations serialize here too.
        dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        upsert = dialect_insert(attempt_counters).values(values)
        if not overwrite:
            return upsert.on_conflict_do_nothing(index_elements=[_counters.counter_key])
        new = {column: upsert.excluded[column] for column in _TALLY_COLUMNS}
        return upsert.on_conflict_do_update(index_elements=[_counters.counter_key], set_=new)
    my = mysql.insert(attempt_counters).values(values)
    if not overwrite:
        # Changes nothing, but locks the row like any update.
        return my.on_duplicate_key_update(counter_key=_counters.counter_key)
    return my.on_duplicate_key_update({column: my.inserted[column] for column in _TALLY_COLUMNS})


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

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        keys = sorted(limits)
        dialect = self._database.dialect_name
        placeholders = {key: Tally(0, now, now) for key in keys}
        await self._database.execute(_upsert(dialect, overwrite=False), _rows(placeholders))
        result = await self._database.execute(_TAKEN_TALLIES, {"keys": keys})
        live = {
            row.counter_key: Tally(row.attempts, row.last_at, row.expires_at)
            for row in result
            if row.expires_at > now
        }
        admitted = all(
            limit.wait(live.get(key), now) <= timedelta(0) for key, limit in limits.items()
        )
        if admitted:
            counted = {key: limits[key].counted(live.get(key), now) for key in keys}
            await self._database.execute(_upsert(dialect, overwrite=True), _rows(counted))
        return AttemptsReserved(admitted, live)

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        if not keys and not forget:
            return
        await self._database.execute(
            _RELEASE[self._database.dialect_name],
            {
                "keys": sorted({*keys, *forget}),
                "forget": list(forget),
                "now": now,
                "forgotten_at": _FORGOTTEN_AT,
            },
        )
