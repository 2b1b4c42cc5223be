import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from tests.storages import TEST_DEADLINE

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)


async def test_tables_are_utf8mb4_with_binary_lookup_keys(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        columns = (
            await connection.execute(
                text(
                    "SELECT column_name, character_set_name, collation_name "
                    "FROM information_schema.columns "
                    "WHERE table_schema = DATABASE() AND character_set_name IS NOT NULL"
                )
            )
        ).all()
    collations = {str(name).lower(): collation for name, _, collation in columns}
    assert {charset for _, charset, _ in columns} == {"utf8mb4"}
    assert collations["username_key"] == "utf8mb4_bin"
    assert collations["email_key"] == "utf8mb4_bin"


async def test_accented_emails_are_distinct_as_on_sqlite(engine: AsyncEngine) -> None:
    # A server's default *_ci collation would call these equal; the binary key does not.
    async with engine.begin() as connection:
        for key in ("jose@example.com", "josé@example.com"):
            await connection.execute(
                text(
                    "INSERT INTO users (username, username_key, email, email_key, password, "
                    "created_at) VALUES (:key, :key, :key, :key, 'x', NOW())"
                ),
                {"key": key[:20]},
            )
        stored = await connection.scalar(text("SELECT COUNT(*) FROM users"))
    assert stored == 2


async def test_a_connection_returns_to_the_pool_without_an_open_transaction(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, deadline=TEST_DEADLINE)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (username, username_key, email, email_key, password, "
                    "created_at) VALUES ('ghost', 'ghost', 'g@x.io', 'g@x.io', 'x', NOW())"
                )
            )
            # Closed without a commit, as when a request fails half way.
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            assert not driver.get_transaction_status()
            ghosts = await connection.scalar(text("SELECT COUNT(*) FROM users"))
        assert ghosts == 0
    finally:
        await engine.dispose()
