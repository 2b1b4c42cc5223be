"""The migrations, one revision at a time, up and down and up again (the stairway), on SQLite and
MySQL; and the schema they build is the one the adapter's queries expect."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade_to_head
from adapters.sqlalchemy.tables import metadata
from testkit.databases import throwaway_database
from tests.databases import mysql_server
from tests.storages import TEST_DEADLINE

pytestmark = pytest.mark.parametrize(
    "empty_engine", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "adapters.sqlalchemy:migrations")
    config.attributes["connection"] = connection
    return config


def _revisions() -> list[Script]:
    """Oldest first."""
    return list(reversed(list(ScriptDirectory.from_config(_config()).walk_revisions())))


@contextlib.contextmanager
def _empty_mysql_database() -> Iterator[str]:
    with mysql_server() as server, throwaway_database(server, "authgate_stairway") as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """An engine on a database that has never been migrated."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'stairway.sqlite3'}"
        else:
            url = stack.enter_context(_empty_mysql_database())
        engine = create_engine(url, pool_size=1, deadline=TEST_DEADLINE)
        yield engine
        await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    """Every table and column, as `table.column`: a migration may add either."""

    def read(sync: Connection) -> set[str]:
        schema = inspect(sync)
        return {
            f"{table}.{column['name']}"
            for table in schema.get_table_names()
            if table != "alembic_version"
            for column in schema.get_columns(table)
        }

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def _migrate(engine: AsyncEngine, direction: str, revision: str) -> None:
    def run(connection: Connection) -> None:
        getattr(command, direction)(_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_each_revision_upgrades_downgrades_and_upgrades_again(
    empty_engine: AsyncEngine,
) -> None:
    revisions = _revisions()
    assert [r.revision for r in revisions][:2] == ["0001", "0002"]
    for revision in revisions:
        before = await _tables(empty_engine)
        await _migrate(empty_engine, "upgrade", revision.revision)
        after = await _tables(empty_engine)
        assert after > before, revision.revision

        await _migrate(empty_engine, "downgrade", revision.down_revision or "base")  # type: ignore[arg-type]
        assert await _tables(empty_engine) == before, revision.revision

        await _migrate(empty_engine, "upgrade", revision.revision)
        assert await _tables(empty_engine) == after, revision.revision


async def test_the_migrated_schema_is_the_one_the_queries_expect(
    empty_engine: AsyncEngine,
) -> None:
    await upgrade_to_head(empty_engine)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with empty_engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_migrating_again_changes_nothing_and_keeps_the_seeded_roles(
    empty_engine: AsyncEngine,
) -> None:
    await upgrade_to_head(empty_engine)
    async with empty_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (username, username_key, email, email_key, password, "
                "created_at) VALUES ('alice', 'alice', 'a@x.io', 'a@x.io', 'x', '2026-01-01')"
            )
        )

    await upgrade_to_head(empty_engine)

    async with empty_engine.connect() as connection:
        roles = (await connection.execute(text("SELECT id, name FROM roles ORDER BY id"))).all()
        users = await connection.scalar(text("SELECT COUNT(*) FROM users"))
    assert [tuple(r) for r in roles] == [(1, "user"), (2, "moderator"), (3, "admin")]
    assert users == 1
