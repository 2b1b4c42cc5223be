"""What only SQL storage promises besides the ports' contracts (tests/contracts): what the tables
hold, and what the authorization read costs on each path production takes."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.sqlalchemy.asyncpg_principals import AsyncpgPrincipalFinder, asyncpg_connections
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import async_url
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from domain.roles import Role
from domain.session import RefreshToken, Session
from domain.user import NewUser, User
from domain.values import Email, PasswordHash, Username
from tests.storages import MYSQL, POSTGRES, SQL_STORAGES, TEST_DEADLINE


def new_user(name: str, roles: set[Role]) -> NewUser:
    return NewUser(
        Username(name),
        Email(f"{name}@example.com"),
        PasswordHash("$2b$04$" + "x" * 53),
        frozenset(roles),
        datetime.now(UTC),
    )


async def signed_in(engine: AsyncEngine, roles: set[Role]) -> tuple[User, Session, RefreshToken]:
    """A user with the roles and a live session, committed."""
    database = SqlAlchemyDatabase(engine, TEST_DEADLINE)
    try:
        user = await SqlAlchemyUserRepository(database).add(new_user("alice", roles))
        now = datetime.now(UTC)
        session = Session.begin(user.id, now, timedelta(hours=1))
        token, record = session.issue_refresh_token(now, timedelta(minutes=10))
        await SqlAlchemySessionStore(database).start(session, record)
        await database.commit()
    finally:
        await database.close()
    return user, session, token


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
async def test_only_a_digest_of_a_refresh_token_is_stored(engine: AsyncEngine) -> None:
    _, _, token = await signed_in(engine, {Role.USER})

    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT * FROM refresh_tokens"))).one()

    assert stored.digest == hashlib.sha256(token.value.encode()).hexdigest()
    assert token.value not in {str(value) for value in stored}


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
async def test_authorization_through_sqlalchemy_costs_one_statement(engine: AsyncEngine) -> None:
    user, session, _ = await signed_in(engine, {Role.USER, Role.MODERATOR})
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    database = SqlAlchemyDatabase(engine, TEST_DEADLINE)
    try:
        principal = await SqlAlchemyPrincipalFinder(database).find(
            user.id, session.id, datetime.now(UTC)
        )
    finally:
        await database.close()
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert principal is not None
    assert principal.roles == {Role.USER, Role.MODERATOR}
    assert len(statements) == 1


@pytest.mark.parametrize("database_url", [MYSQL], indirect=True)
async def test_authorization_through_asyncmy_costs_one_statement(
    engine: AsyncEngine, database_url: str
) -> None:
    user, session, _ = await signed_in(engine, {Role.USER, Role.MODERATOR})
    async with asyncmy_pool(async_url(database_url), 1, TEST_DEADLINE) as pool:

        async def statements_so_far() -> int:
            # The pool holds one connection, so this is the one the finder uses.
            async with pool.acquire() as connection, connection.cursor() as cursor:
                await cursor.execute("SHOW SESSION STATUS LIKE 'Questions'")
                (_, questions) = await cursor.fetchone()
            return int(questions)

        baseline = await statements_so_far()
        idle = await statements_so_far() - baseline
        before = await statements_so_far()
        principal = await AsyncmyPrincipalFinder(pool, TEST_DEADLINE).find(
            user.id, session.id, datetime.now(UTC)
        )
        spent = await statements_so_far() - before - idle

    assert principal is not None
    assert principal.roles == {Role.USER, Role.MODERATOR}
    assert spent == 1


@pytest.mark.parametrize("database_url", [POSTGRES], indirect=True)
async def test_authorization_through_asyncpg_costs_one_statement_and_no_reset(
    engine: AsyncEngine, database_url: str
) -> None:
    """One statement per read, and nothing else on the connection between reads: no BEGIN, no
    ROLLBACK, no reset as the connection goes back to be used again."""
    user, session, _ = await signed_in(engine, {Role.USER, Role.MODERATOR})
    statements: list[str] = []
    async with asyncpg_connections(async_url(database_url), 1, TEST_DEADLINE) as connections:
        # At most one connection, so this is the one the finder uses.
        async with connections.connection() as connection:
            connection.add_query_logger(lambda record: statements.append(record.query))
        finder = AsyncpgPrincipalFinder(connections, TEST_DEADLINE)
        principals = [await finder.find(user.id, session.id, datetime.now(UTC)) for _ in range(3)]
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once

    assert [None if p is None else p.roles for p in principals] == [
        frozenset({Role.USER, Role.MODERATOR})
    ] * 3
    assert len(statements) == 3
    assert all(
        statement.startswith("SELECT sessions.id, sessions.user_id, user_roles.role_id")
        for statement in statements
    )


@pytest.mark.parametrize("database_url", [POSTGRES], indirect=True)
async def test_the_asyncpg_connections_are_bounded_and_a_failed_ones_never_used_again(
    database_url: str,
) -> None:
    async with asyncpg_connections(async_url(database_url), 2, TEST_DEADLINE) as connections:

        async def server_process(hold: float = 0) -> int:
            async with connections.connection() as connection:
                pid: int = await connection.fetchval("SELECT pg_backend_pid()")
                await asyncio.sleep(hold)
            return pid

        failed: list[int] = []

        async def failing_read() -> None:
            async with connections.connection() as connection:
                failed.append(await connection.fetchval("SELECT pg_backend_pid()"))
                await connection.execute("SELECT 1/0")

        at_once = await asyncio.gather(*(server_process(0.05) for _ in range(6)))
        with pytest.raises(asyncpg.DivisionByZeroError):
            await failing_read()
        afterwards = {await server_process() for _ in range(3)}

    assert len(set(at_once)) == 2
    assert failed[0] not in afterwards
