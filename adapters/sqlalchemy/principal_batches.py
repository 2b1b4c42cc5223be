"""The raw read paths' principal lookups, asked together: the requests that reach the lookup in
the same turn of the event loop share one statement, `sessions.id IN (...)`, on one connection.

Under load most of a protected read's cost is its round trip, on both sides of it: the driver
writing the query and reading the answer, the database waking a thread and opening four tables.
With 16 clients over 32 users' tokens, 4.4 lookups shared a statement and MariaDB's CPU per
protected read fell from 175-195 to 60-72 us (README: Performance).

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

from adapters.sqlalchemy.failures import is_disconnect, storage_failure
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
    """The lookups that joined the one that opened a batch, each (user id, session id, the future
    its request awaits)."""

    __slots__ = ("key_id", "lookups", "loop", "now")

    def __init__(self, key_id: str | None, now: datetime) -> None:
        self.key_id = key_id
        self.now = now
        self.lookups: list[tuple[int, str, asyncio.Future[_Found]]] = []
        # Asked once a batch, not once a lookup: on CPython 3.11 every call makes a getpid()
        # system call, 2% of a served worker's time when each lookup asked.
        self.loop = asyncio.get_running_loop()

    def join(self, user_id: int, session_id: str, now: datetime) -> asyncio.Future[_Found]:
        answer: asyncio.Future[_Found] = self.loop.create_future()
        self.lookups.append((user_id, session_id, answer))
        self.now = max(self.now, now)
        return answer

    def session_ids(self) -> list[str]:
        return list(dict.fromkeys(session_id for _, session_id, _ in self.lookups))


class BatchedPrincipalFinder(PrincipalFinder, ABC):
    """A PrincipalFinder whose lookups are asked in batches (above); a driver's path says how a
    statement runs (`_rows`) and which of its errors mean that storage failed.

    The lookup that finds no batch open opens one and lets the event loop run the steps already
    due: the requests among them that reach a lookup join it. Then the batch is closed and
    asked. Alone, the opener asks on its own request's task, as if there were no batches: a
    request that arrives alone pays one turn of the loop more. With others, a task of the
    batch's own asks, so that a cancelled request cannot take the others' answers down with
    it."""

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
        batch = self._open.get(key_id)
        if batch is not None and len(batch.lookups) < MAX_BATCH - 1:  # its opener's place
            found = await batch.join(user_id, session_id, now)
        else:
            found = await self._opened(user_id, session_id, now, key_id)
        held = found.get(session_id)
        if held is None or held[0] != user_id:
            return None
        return principal_from(user_id, session_id, held[1])

    async def _opened(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None
    ) -> _Found:
        batch = self._open[key_id] = _Batch(key_id, now)
        try:
            await asyncio.sleep(0)  # the steps due in this turn of the event loop run
        except BaseException:  # cancelled meanwhile: the others are still asked
            self._close(batch)
            if batch.lookups:
                self._ask_apart(batch)
            raise
        self._close(batch)
        if not batch.lookups:
            try:
                return await self._found([session_id], now, key_id)
            except self._failures as error:
                raise storage_failure(error) from error
        answer = batch.join(user_id, session_id, now)
        self._ask_apart(batch)
        return await answer

    def _close(self, batch: _Batch) -> None:
        """Before anything is sent: a request from now on waits for another statement."""
        if self._open.get(batch.key_id) is batch:
            del self._open[batch.key_id]

    def _ask_apart(self, batch: _Batch) -> None:
        asking = asyncio.create_task(self._ask(batch))
        self._asking.add(asking)
        asking.add_done_callback(self._asking.discard)

    async def _ask(self, batch: _Batch) -> None:
        answers = [answer for *_, answer in batch.lookups]
        try:
            found = await self._found(batch.session_ids(), batch.now, batch.key_id)
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

    async def _found(self, session_ids: list[str], now: datetime, key_id: str | None) -> _Found:
        sql, parameters = self._statements.bound(session_ids, now, key_id)
        async with asyncio.timeout(self._deadline):
            try:
                rows = await self._rows(sql, parameters)
            except self.driver_errors as error:
                if not is_disconnect(error):
                    raise
                # A pooled connection the server dropped while it idled (a restart, a
                # failover): a read is safe to repeat, on a fresh connection.
                rows = await self._rows(sql, parameters)
        found: _Found = {}
        for session_id, owner_id, role_id in rows:
            found.setdefault(session_id, (owner_id, []))[1].append(role_id)
        return found

    @abstractmethod
    async def _rows(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Sequence[Any]]:
        """The statement's rows, on a connection of the driver's own; a connection that fails
        is dropped, not lent out again."""


def _failure(error: BaseException) -> Exception:
    """The application's name for the batch's failure, one for each request that waited on it,
    caused by the driver's error as `raise ... from` would have it."""
    failure = storage_failure(error)
    failure.__cause__ = error
    return failure
