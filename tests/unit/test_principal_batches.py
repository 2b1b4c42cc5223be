"""How the raw read paths ask for principals in batches (adapters/sqlalchemy/principal_batches.py),
on a driver made up here: which lookups share a statement, and that none is ever answered by a
statement sent before it arrived. The statements themselves run against MySQL and PostgreSQL in
the principal-finder contract (tests/contracts)."""

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec

import pytest
from sqlalchemy.dialects import mysql

from adapters.sqlalchemy.principal_batches import (
    MAX_BATCH,
    BatchedPrincipalFinder,
    BatchStatements,
)
from application.common.errors import StorageUnavailable
from application.common.outcomes import UnavailableCause
from domain.roles import Role
from domain.user import Principal

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
STATEMENTS = BatchStatements(mysql.dialect())


class Database:
    """Sessions by id: their user's id and the role ids held; a lookup asks for the ids among
    its parameters."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[int, list[int | None]]] = {}
        self.asked: list[tuple[str, tuple[Any, ...]]] = []
        self.failure: Exception | None = None
        self.failures_once: list[Exception] = []  # raised by the next statements, one each
        self.held: asyncio.Event | None = None
        self.sent = asyncio.Event()

    def add(self, user_id: int, *roles: Role) -> str:
        session_id = f"s{len(self.sessions):031d}"
        self.sessions[session_id] = (user_id, [role.value for role in roles] or [None])
        return session_id

    async def rows(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Sequence[Any]]:
        self.asked.append((sql, parameters))
        # What the database holds as the statement reaches it.
        rows = [
            (session_id, user_id, role_id)
            for session_id in dict.fromkeys(parameters)
            if session_id in self.sessions
            for user_id, role_ids in [self.sessions[session_id]]
            for role_id in role_ids
        ]
        self.sent.set()
        if self.held is not None:
            await self.held.wait()
        if self.failures_once:
            raise self.failures_once.pop(0)
        if self.failure is not None:
            raise self.failure
        return rows


class Refusal(Exception):
    """The made-up driver's error for a statement refused on a connection still good."""


class Finder(BatchedPrincipalFinder):
    driver_errors = (OSError, Refusal)  # every OSError means the connection is gone

    def __init__(self, database: Database, deadline: float = 5.0) -> None:
        super().__init__(STATEMENTS, deadline)
        self._database = database

    async def _rows(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Sequence[Any]]:
        return await self._database.rows(sql, parameters)


P = ParamSpec("P")


def bounded(test: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A test that fails within seconds if a lookup is never answered, rather than hanging."""

    @functools.wraps(test)
    async def within_seconds(*args: P.args, **kwargs: P.kwargs) -> None:
        async with asyncio.timeout(5):
            await test(*args, **kwargs)

    return within_seconds


@pytest.fixture
def database() -> Database:
    return Database()


@bounded
async def test_lookups_made_in_the_same_turn_share_one_statement(database: Database) -> None:
    alice = database.add(1, Role.USER, Role.ADMIN)
    bob = database.add(2, Role.USER)
    carol = database.add(3)
    dave = database.add(5, Role.MODERATOR)
    unknown = "s" + "9" * 31
    finder = Finder(database)

    answers = await asyncio.gather(
        finder.find(1, alice, NOW),
        finder.find(2, bob, NOW),
        finder.find(3, carol, NOW),
        finder.find(1, bob, NOW),  # another user's session
        finder.find(4, unknown, NOW),
        finder.find(5, dave, NOW),
    )

    assert list(answers) == [
        Principal(1, alice, frozenset({Role.USER, Role.ADMIN})),
        Principal(2, bob, frozenset({Role.USER})),
        Principal(3, carol, frozenset()),
        None,
        None,
        Principal(5, dave, frozenset({Role.MODERATOR})),
    ]
    assert len(database.asked) == 1
    sql, parameters = database.asked[0]
    # Five sessions, asked in a statement of eight places (the others repeat one of them), and
    # the moment.
    assert sql.count("%s") == 8 + 1
    *places, moment = parameters
    assert set(places) == {alice, bob, carol, unknown, dave}
    assert moment == NOW.replace(tzinfo=None)


@bounded
async def test_a_lookup_made_after_the_statement_was_sent_is_asked_about_again(
    database: Database,
) -> None:
    """The guarantee that makes batching safe: a request that arrives after a sign-out is never
    answered by a statement that reached the database before it."""
    alice = database.add(1, Role.USER)
    finder = Finder(database)
    database.held = asyncio.Event()

    before = asyncio.create_task(finder.find(1, alice, NOW))
    await database.sent.wait()  # the first statement has read the database
    del database.sessions[alice]  # signed out
    after = asyncio.create_task(finder.find(1, alice, NOW))
    await asyncio.sleep(0)
    database.held.set()

    assert await before == Principal(1, alice, frozenset({Role.USER}))
    assert await after is None
    assert len(database.asked) == 2


@bounded
async def test_no_more_lookups_share_a_statement_than_it_takes(database: Database) -> None:
    sessions = [database.add(user_id, Role.USER) for user_id in range(MAX_BATCH + 1)]
    finder = Finder(database)

    answers = await asyncio.gather(
        *(finder.find(user_id, session, NOW) for user_id, session in enumerate(sessions))
    )

    assert all(answer is not None for answer in answers)
    assert sorted(len(parameters) for _, parameters in database.asked) == [1 + 1, MAX_BATCH + 1]


@bounded
async def test_tokens_of_different_keys_are_asked_in_statements_of_their_own(
    database: Database,
) -> None:
    alice = database.add(1, Role.USER)
    finder = Finder(database)

    await asyncio.gather(
        finder.find(1, alice, NOW, "key-a"),
        finder.find(1, alice, NOW, "key-b"),
        finder.find(1, alice, NOW),
        finder.find(1, alice, NOW, "key-a"),
    )

    keys = sorted(str({"key-a", "key-b"} & set(parameters)) for _, parameters in database.asked)
    assert keys == ["set()", "{'key-a'}", "{'key-b'}"]


@bounded
async def test_the_statement_asks_at_the_latest_moment_of_its_lookups(
    database: Database,
) -> None:
    alice, bob = database.add(1, Role.USER), database.add(2, Role.USER)
    finder = Finder(database)
    later = NOW + timedelta(seconds=1)

    await asyncio.gather(finder.find(1, alice, later), finder.find(2, bob, NOW))

    (_, parameters), *_ = database.asked
    assert later.replace(tzinfo=None) in parameters
    assert NOW.replace(tzinfo=None) not in parameters


@bounded
async def test_a_failed_statement_fails_each_of_its_lookups_as_storage_unavailable(
    database: Database,
) -> None:
    alice, bob = database.add(1, Role.USER), database.add(2, Role.USER)
    finder = Finder(database)
    database.failure = ConnectionResetError("gone")

    answers = await asyncio.gather(
        finder.find(1, alice, NOW), finder.find(2, bob, NOW), return_exceptions=True
    )

    failures = [answer for answer in answers if isinstance(answer, StorageUnavailable)]
    assert len(failures) == 2
    assert failures[0] is not failures[1]  # each request raises its own
    assert all(failure.__cause__ is database.failure for failure in failures)


@bounded
async def test_a_statement_past_the_deadline_fails_its_lookups_as_a_timeout(
    database: Database,
) -> None:
    alice = database.add(1, Role.USER)
    finder = Finder(database, deadline=0.05)
    database.held = asyncio.Event()  # never set: the database does not answer

    with pytest.raises(StorageUnavailable) as refused:
        await finder.find(1, alice, NOW)

    assert refused.value.kind is UnavailableCause.TIMEOUT


@bounded
async def test_a_cancelled_lookup_leaves_the_others_of_its_statement_answered(
    database: Database,
) -> None:
    alice, bob = database.add(1, Role.USER), database.add(2, Role.USER)
    finder = Finder(database)
    database.held = asyncio.Event()

    gone = asyncio.create_task(finder.find(1, alice, NOW))
    staying = asyncio.create_task(finder.find(2, bob, NOW))
    await database.sent.wait()
    gone.cancel()  # its client went away
    await asyncio.sleep(0)
    database.held.set()

    assert await staying == Principal(2, bob, frozenset({Role.USER}))
    assert gone.cancelled()
    assert len(database.asked) == 1


@bounded
async def test_the_others_are_still_asked_when_the_lookup_that_opened_their_batch_is_cancelled(
    database: Database,
) -> None:
    alice, bob = database.add(1, Role.USER), database.add(2, Role.USER)
    finder = Finder(database)

    opener = asyncio.create_task(finder.find(1, alice, NOW))
    joiner = asyncio.create_task(finder.find(2, bob, NOW))
    await asyncio.sleep(0)  # the opener waits a turn of the loop, the other has joined
    opener.cancel()

    assert await joiner == Principal(2, bob, frozenset({Role.USER}))
    with pytest.raises(asyncio.CancelledError):
        await opener
    assert [parameters[:-1] for _, parameters in database.asked] == [(bob,)]


@bounded
async def test_a_lookup_alone_is_asked_without_waiting_on_a_task_of_its_own(
    database: Database,
) -> None:
    alice = database.add(1, Role.USER)
    finder = Finder(database)
    tasks_before = len(asyncio.all_tasks())
    database.held = asyncio.Event()

    lookup = asyncio.create_task(finder.find(1, alice, NOW))
    await database.sent.wait()

    assert len(asyncio.all_tasks()) == tasks_before + 1  # the lookup's own, nothing else
    database.held.set()
    assert await lookup == Principal(1, alice, frozenset({Role.USER}))


@bounded
async def test_a_statement_on_a_connection_the_server_dropped_is_asked_once_more(
    database: Database,
) -> None:
    alice, bob = database.add(1, Role.USER), database.add(2, Role.USER)
    finder = Finder(database)
    database.failures_once = [ConnectionResetError("the server restarted")]

    answers = await asyncio.gather(finder.find(1, alice, NOW), finder.find(2, bob, NOW))

    assert list(answers) == [
        Principal(1, alice, frozenset({Role.USER})),
        Principal(2, bob, frozenset({Role.USER})),
    ]
    assert len(database.asked) == 2


@bounded
async def test_a_statement_refused_for_another_reason_is_not_asked_again(
    database: Database,
) -> None:
    alice = database.add(1, Role.USER)
    finder = Finder(database)
    database.failures_once = [Refusal("a syntax error, say")]

    with pytest.raises(StorageUnavailable):
        await finder.find(1, alice, NOW)
    assert len(database.asked) == 1
