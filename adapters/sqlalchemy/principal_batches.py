"""The raw read paths' principal lookups, asked together: the requests that reach the lookup in
the same turn of the event loop share one statement, `sessions.id IN (...)`, on one connection.

Under load most of a protected read's cost is its round trip, on both sides of it: the driver
writing the query and reading the answer, the database waking a thread, opening four tables and
planning. Eight reads asked together cost the database little more than one, so a worker serving
many clients pays for a fraction of the round trips it used to (`make bench`, README:
Performance).

Still the rows as they are now, for every request: a batch takes members only until its
statement is about to be sent, so every request in it arrived before the database was asked. A
request that arrives after a sign-out, a role change or a revoked key's commit is asked about in a
statement sent after it, never answered from one sent before. Nothing is kept between batches.

The statement's `now` is the latest of its members' (each took its own from the clock as it
arrived): a session that ended between two members' arrivals is refused to both. Its size is
rounded up to a power of two, the missing places filled with a session already asked for, so that
a connection prepares six statements of each kind, not one per size.
"""

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.engine import Dialect

from adapters.sqlalchemy.failures import storage_failure
from adapters.sqlalchemy.principals import principal_from, sessions_query
from adapters.sqlalchemy.tables import naive_utc
from application.ports.sessions import PrincipalFinder
from domain.user import Principal

SIZES = (1, 2, 4, 8, 16, 32)
"""The sizes of the statement; a batch takes at most the last."""
MAX_BATCH = SIZES[-1]
STATEMENTS_PER_CONNECTION = 2 * len(SIZES)
"""Every statement a connection of a raw read path may prepare: each size, with a key and
without."""

# By session id: its user's id and the roles held (None for a user holding none).
_Found = dict[str, tuple[int, list[int | None]]]


class BatchStatements:
    """The sessions statements of every size, compiled once for a driver."""

    def __init__(self, dialect: Dialect) -> None:
        self._compiled: dict[tuple[int, bool], tuple[str, tuple[str, ...]]] = {}
        for size in SIZES:
            for keyed in (False, True):
                compiled = sessions_query(size, keyed=keyed).compile(dialect=dialect)
                self._compiled[size, keyed] = str(compiled), tuple(compiled.positiontup or ())

    def bound(
        self, session_ids: Sequence[str], now: datetime, key_id: str | None
    ) -> tuple[str, tuple[Any, ...]]:
        """The SQL text for these sessions (at most MAX_BATCH, none repeated) and its parameters
        in the order the text takes them."""
        size = next(size for size in SIZES if size >= len(session_ids))
        sql, order = self._compiled[size, key_id is not None]
        last = len(session_ids) - 1
        values: dict[str, Any] = {
            f"session_{position}": session_ids[min(position, last)] for position in range(size)
        }
        values["now"] = naive_utc(now)
        values["key_id"] = key_id
        return sql, tuple(values[name] for name in order)


class _Batch:
    """The lookups of one statement, by token: (user id, session id, the future its request
    awaits)."""

    __slots__ = ("key_id", "lookups", "now")

    def __init__(self, key_id: str | None, now: datetime) -> None:
        self.key_id = key_id
        self.now = now
        self.lookups: list[tuple[int, str, asyncio.Future[_Found]]] = []


class BatchedPrincipalFinder(PrincipalFinder, ABC):
    """A PrincipalFinder whose lookups are asked in batches (above); a driver's path says how a
    statement runs (`_rows`) and which of its errors mean that storage failed."""

    driver_errors: ClassVar[tuple[type[Exception], ...]]

    def __init__(self, statements: BatchStatements, deadline: float) -> None:
        self._statements = statements
        self._deadline = deadline
        self._failures: tuple[type[Exception], ...] = (TimeoutError, *self.driver_errors)
        # The batch still taking lookups, by the key its tokens name: one statement asks of one
        # key.
        self._open: dict[str | None, _Batch] = {}
        # The batches being asked, each a task: kept here, as asyncio holds tasks only weakly.
        self._asking: set[asyncio.Task[None]] = set()

    async def find(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None = None
    ) -> Principal | None:
        found = await self._joined(user_id, session_id, now, key_id)
        held = found.get(session_id)
        if held is None or held[0] != user_id:
            return None
        return principal_from(user_id, session_id, held[1])

    def _joined(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None
    ) -> asyncio.Future[_Found]:
        batch = self._open.get(key_id)
        if batch is None or len(batch.lookups) == MAX_BATCH:
            batch = self._open[key_id] = _Batch(key_id, now)
            # The task's first step runs after the steps already due in this turn of the event
            # loop: the requests among them that reach this join the batch.
            asking = asyncio.create_task(self._ask(batch))
            self._asking.add(asking)
            asking.add_done_callback(self._asking.discard)
        elif now > batch.now:
            batch.now = now
        answer: asyncio.Future[_Found] = asyncio.get_running_loop().create_future()
        batch.lookups.append((user_id, session_id, answer))
        return answer

    async def _ask(self, batch: _Batch) -> None:
        # Closed before anything is sent: a request from now on waits for another statement.
        if self._open.get(batch.key_id) is batch:
            del self._open[batch.key_id]
        answers = [answer for *_, answer in batch.lookups]
        try:
            found = await self._found(batch)
        except asyncio.CancelledError:  # the worker stops
            for answer in answers:
                answer.cancel()
            raise
        except self._failures as error:
            for answer in answers:
                if not answer.done():  # not a request cancelled meanwhile
                    answer.set_exception(_failure(error))
        except Exception as error:  # a defect: each request fails with it, as it would alone
            for answer in answers:
                if not answer.done():
                    answer.set_exception(error)
        else:
            for answer in answers:
                if not answer.done():
                    answer.set_result(found)

    async def _found(self, batch: _Batch) -> _Found:
        session_ids = list(dict.fromkeys(session_id for _, session_id, _ in batch.lookups))
        sql, parameters = self._statements.bound(session_ids, batch.now, batch.key_id)
        async with asyncio.timeout(self._deadline):
            rows = await self._rows(sql, parameters)
        found: _Found = {}
        for session_id, owner_id, role_id in rows:
            found.setdefault(session_id, (owner_id, []))[1].append(role_id)
        return found

    @abstractmethod
    async def _rows(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Sequence[Any]]:
        """The statement's rows, on a connection of the driver's own."""


def _failure(error: BaseException) -> Exception:
    """The application's name for the batch's failure, one for each request that waited on it,
    caused by the driver's error as `raise ... from` would have it."""
    failure = storage_failure(error)
    failure.__cause__ = error
    return failure
