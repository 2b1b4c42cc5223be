"""What PostgreSQL's schema and connections promise besides the ports' contracts: the same
lookup rules as MySQL's binary keys and SQLite, and the engine's per-connection settings."""

import pytest
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import migrate
from tests.storages import POSTGRES, TEST_DEADLINE

pytestmark = pytest.mark.parametrize("database_url", [POSTGRES], indirect=True)

INSERT_USER = text(
    "INSERT INTO users (username, username_key, email, email_key, password, created_at) "
    "VALUES (:key, :key, :key, :key, 'x', NOW())"
)


async def test_the_database_is_utf8_and_accented_emails_are_distinct(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        encoding = await connection.scalar(text("SHOW server_encoding"))
        for key in ("jose@example.com", "josé@example.com"):
            await connection.execute(INSERT_USER, {"key": key[:20]})
        stored = await connection.scalar(text("SELECT COUNT(*) FROM users"))
    assert encoding == "UTF8"
    assert stored == 2


async def test_each_connection_waits_for_a_lock_half_the_deadline_at_most(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, deadline=4.0)
    try:
        async with engine.connect() as connection:
            settings = (
                await connection.execute(
                    text(
                        "SELECT current_setting('lock_timeout'),"
                        " current_setting('statement_timeout'),"
                        " current_setting('transaction_isolation')"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    assert tuple(settings) == ("2s", "4s", "read committed")


async def test_a_connection_returns_to_the_pool_without_an_open_transaction(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, deadline=TEST_DEADLINE)
    try:
        async with engine.connect() as connection:
            await connection.execute(INSERT_USER, {"key": "ghost"})
            # Closed without a commit, as when a request fails half way.
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            assert not driver.is_in_transaction()
            ghosts = await connection.scalar(text("SELECT COUNT(*) FROM users"))
        assert ghosts == 0
    finally:
        await engine.dispose()


async def test_a_migration_may_take_longer_than_a_request_but_not_wait_for_locks(
    database_url: str,
) -> None:
    seen: list[tuple[str, str]] = []

    def step(config: Config, _revision: str) -> None:
        connection = config.attributes["connection"]
        row = connection.execute(
            text("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
        ).one()
        seen.append(tuple(row))

    engine = create_engine(database_url, pool_size=1, deadline=4.0)
    try:
        await migrate(engine, step, "head")
        async with engine.connect() as connection:
            after = await connection.scalar(text("SELECT current_setting('statement_timeout')"))
    finally:
        await engine.dispose()
    assert seen == [("0", "2s")]
    assert after == "4s"
