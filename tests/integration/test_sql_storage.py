"""The SQLAlchemy adapter against real databases: MySQL (or MariaDB) and SQLite."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.jwt_tokens import JwtAccessTokens
from adapters.sqlalchemy.migrate import upgrade_to_head
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.errors import RefreshContended, RefreshTokenReused, RefreshTokenUnknown
from application.refresh_session import RefreshSession, RefreshSessionRequest
from application.session_policy import SessionPolicy
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.roles import Role
from domain.session import IssuedRefreshToken, RefreshToken, Session, new_session_id
from domain.user import NewUser, User
from domain.values import Email, PasswordHash, Username
from tests.conftest import SQL_STORAGES, TEST_SECRET
from tests.support import FakeClock

pytestmark = pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)


def new_user(name: str, email: str | None = None, roles: set[Role] | None = None) -> NewUser:
    return NewUser(
        Username(name),
        Email(email or f"{name}@example.com"),
        PasswordHash("$2b$04$" + "x" * 53),
        frozenset(roles or {Role.USER}),
    )


async def add_user(engine: AsyncEngine, user: NewUser) -> User:
    async with engine.connect() as connection:
        stored = await SqlAlchemyUserRepository(connection).add(user)
        await connection.commit()
    return stored


async def start_session(engine: AsyncEngine, user_id: int, now: datetime) -> RefreshToken:
    token = RefreshToken.generate()
    session = Session(new_session_id(), user_id, now, now + timedelta(days=1), None, 0)
    async with engine.connect() as connection:
        await SqlAlchemySessionStore(connection).start(
            session, IssuedRefreshToken(token.digest, session.id, now, session.expires_at, None)
        )
        await connection.commit()
    return token


async def refresh(
    engine: AsyncEngine, token: str, clock: FakeClock, grace: int = 5
) -> RefreshToken:
    async with engine.connect() as connection:
        use_case = RefreshSession(
            SqlAlchemySessionStore(connection),
            JwtAccessTokens(TEST_SECRET, timedelta(hours=1)),
            clock,
            SessionPolicy(reuse_grace=timedelta(seconds=grace)),
            SqlAlchemyUnitOfWork(connection),
        )
        return (await use_case.execute(RefreshSessionRequest(token))).refresh_token


async def live_tokens(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT COUNT(*) FROM refresh_tokens WHERE rotated_at IS NULL")
        )
    return int(count or 0)


async def test_only_a_digest_of_a_refresh_token_is_stored(engine: AsyncEngine) -> None:
    user = await add_user(engine, new_user("alice"))
    token = await start_session(engine, user.id, datetime.now(UTC))

    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT * FROM refresh_tokens"))).one()

    assert stored.digest == hashlib.sha256(token.value.encode()).hexdigest()
    assert token.value not in {str(value) for value in stored}


async def test_the_unique_indexes_refuse_a_username_or_email_in_another_case(
    engine: AsyncEngine,
) -> None:
    await add_user(engine, new_user("alice", "alice@example.com"))

    with pytest.raises(UsernameAlreadyExists):
        await add_user(engine, new_user("ALICE", "other@example.com"))
    with pytest.raises(EmailAlreadyExists):
        await add_user(engine, new_user("bob", "Alice@EXAMPLE.com"))


async def test_a_duplicate_is_told_by_the_index_not_by_the_value(engine: AsyncEngine) -> None:
    # The duplicate value appears in the driver's message; a username that reads like the other
    # index's name must not confuse which one refused the row.
    await add_user(engine, new_user("email_key", "first@example.com"))

    with pytest.raises(UsernameAlreadyExists):
        await add_user(engine, new_user("EMAIL_KEY", "second@example.com"))


async def test_a_user_is_stored_with_all_its_roles_or_not_at_all(engine: AsyncEngine) -> None:
    stored = await add_user(engine, new_user("alice", roles={Role.USER, Role.ADMIN}))

    async with engine.connect() as connection:
        found = await SqlAlchemyUserRepository(connection).find_by_username(Username("ALICE"))

    assert found == stored
    assert found is not None
    assert found.roles == {Role.USER, Role.ADMIN}


async def test_authorization_costs_one_statement(engine: AsyncEngine) -> None:
    user = await add_user(engine, new_user("alice", roles={Role.USER, Role.MODERATOR}))
    now = datetime.now(UTC)
    await start_session(engine, user.id, now)
    async with engine.connect() as connection:
        session_id = await connection.scalar(text("SELECT id FROM sessions"))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with engine.connect() as connection:
            principal = await SqlAlchemyPrincipalFinder(connection).find(
                user.id, str(session_id), now
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert principal is not None
    assert principal.roles == {Role.USER, Role.MODERATOR}
    assert len(statements) == 1


async def test_many_concurrent_refreshes_with_one_token_leave_one_live_token(
    engine: AsyncEngine,
) -> None:
    user = await add_user(engine, new_user("alice"))
    clock = FakeClock()
    token = await start_session(engine, user.id, clock.now())

    results = await asyncio.gather(
        *(refresh(engine, token.value, clock) for _ in range(12)), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, RefreshToken)]
    assert winners
    assert all(isinstance(r, RefreshToken | RefreshContended) for r in results), results
    assert await live_tokens(engine) == 1


async def test_reuse_after_the_grace_window_kills_the_session(engine: AsyncEngine) -> None:
    user = await add_user(engine, new_user("alice"))
    clock = FakeClock()
    first = await start_session(engine, user.id, clock.now())
    second = await refresh(engine, first.value, clock)
    clock.advance(6)

    with pytest.raises(RefreshTokenReused):
        await refresh(engine, first.value, clock)
    with pytest.raises(RefreshTokenUnknown):
        await refresh(engine, second.value, clock)
    async with engine.connect() as connection:
        revoked = await connection.scalar(text("SELECT revoked_at FROM sessions"))
    assert revoked is not None


async def test_purging_deletes_ended_sessions_with_their_tokens(engine: AsyncEngine) -> None:
    user = await add_user(engine, new_user("alice"))
    now = datetime.now(UTC)
    await start_session(engine, user.id, now - timedelta(days=2))  # expired
    await start_session(engine, user.id, now)  # live
    async with engine.connect() as connection:
        store = SqlAlchemySessionStore(connection)
        purged = await store.purge(now)
        await connection.commit()
        remaining = await connection.scalar(text("SELECT COUNT(*) FROM refresh_tokens"))

    assert purged == 1
    assert remaining == 1


async def test_migrating_again_changes_nothing_and_keeps_the_seeded_roles(
    engine: AsyncEngine,
) -> None:
    await add_user(engine, new_user("alice"))

    await upgrade_to_head(engine)

    async with engine.connect() as connection:
        roles = (await connection.execute(text("SELECT id, name FROM roles ORDER BY id"))).all()
        users = await connection.scalar(text("SELECT COUNT(*) FROM users"))
    assert [tuple(r) for r in roles] == [(1, "user"), (2, "moderator"), (3, "admin")]
    assert users == 1
