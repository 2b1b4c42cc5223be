"""Migration 0005 up, down and up again, on a database of its own, on SQLite and on MySQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import URL, Connection

from adapters.sqlalchemy.engine import create_engine
from tests.databases import mysql_server, throwaway_database


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | URL]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.sqlite3'}"
        return
    with mysql_server() as server, throwaway_database(server, "authgate_stairway") as url:
        yield url


def _migrate_and_read(
    connection: Connection, revision: str, downgrade: bool
) -> dict[str, set[str]]:
    config = Config()
    config.set_main_option("script_location", "adapters.sqlalchemy:migrations")
    config.attributes["connection"] = connection
    (command.downgrade if downgrade else command.upgrade)(config, revision)
    schema = inspect(connection)
    return {
        table: {column["name"] for column in schema.get_columns(table)}
        for table in schema.get_table_names()
    }


async def schema_after(
    url: str | URL, revision: str, *, downgrade: bool = False
) -> dict[str, set[str]]:
    """The tables and their columns once the database is migrated to `revision`."""
    engine = create_engine(url, pool_size=1, deadline=30)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_migrate_and_read, revision, downgrade)
    finally:
        await engine.dispose()


async def test_0005_goes_up_down_and_up_again(fresh_url: str | URL) -> None:
    at_head = await schema_after(fresh_url, "0005")
    assert {"digest", "user_id", "purpose", "binding", "issued_at", "expires_at"} == at_head[
        "one_time_tokens"
    ]
    assert "email_verified" in at_head["users"]

    before = await schema_after(fresh_url, "0002", downgrade=True)
    assert "one_time_tokens" not in before
    assert "email_verified" not in before["users"]

    assert await schema_after(fresh_url, "0005") == at_head
