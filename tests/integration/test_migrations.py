"""The migrations, one revision at a time, up and down and up again (the stairway), on SQLite,
MySQL and PostgreSQL; and the schema they build is the one the adapter's queries expect."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import delete, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import migrate, upgrade_to_head
from adapters.sqlalchemy.tables import (
    audit_events,
    metadata,
    one_time_tokens,
    refresh_tokens,
    sessions,
    user_roles,
    users,
)
from testkit.databases import throwaway_database
from tests.databases import mysql_server, postgres_server
from tests.storages import SQL_STORAGES, TEST_DEADLINE

pytestmark = pytest.mark.parametrize("empty_engine", SQL_STORAGES, indirect=True)
_SERVERS = {"mysql": mysql_server, "postgres": postgres_server}


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "adapters.sqlalchemy:migrations")
    config.attributes["connection"] = connection
    return config


def _revisions() -> list[Script]:
    """Oldest first."""
    return list(reversed(list(ScriptDirectory.from_config(_config()).walk_revisions())))


@contextlib.contextmanager
def _empty_server_database(kind: str) -> Iterator[str]:
    with _SERVERS[kind]() as server, throwaway_database(server, "authgate_stairway") as url:
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
            url = stack.enter_context(_empty_server_database(request.param))
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
            if table not in ("alembic_version", "sqlite_sequence")
            for column in schema.get_columns(table)
        } | _autoincrement_tables(sync)

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def _migrate(engine: AsyncEngine, direction: str, revision: str) -> None:
    await migrate(engine, getattr(command, direction), revision)


def _autoincrement_tables(connection: Connection) -> set[str]:
    """SQLite's tables whose ids are never reused, as `table AUTOINCREMENT`."""
    if connection.dialect.name != "sqlite":
        return set()
    rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    return {f"{name} AUTOINCREMENT" for name, sql in rows if "AUTOINCREMENT" in sql.upper()}


async def test_each_revision_upgrades_downgrades_and_upgrades_again(
    empty_engine: AsyncEngine,
) -> None:
    revisions = _revisions()
    assert [r.revision for r in revisions][:2] == ["0001", "0002"]
    for revision in revisions:
        before = await _tables(empty_engine)
        await _migrate(empty_engine, "upgrade", revision.revision)
        after = await _tables(empty_engine)
        # 0006 changes SQLite's schema only: InnoDB and PostgreSQL's sequences already never
        # reuse an id.
        only_sqlite = revision.revision == "0006" and empty_engine.dialect.name != "sqlite"
        assert after > before or only_sqlite, revision.revision

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


async def _insert_history(engine: AsyncEngine) -> None:
    """Five signups (ids 1 to 5, as the database gives them), sessions with refresh tokens, role
    grants, one-time tokens and an audit trail; then users 3 and 5 deleted, the highest id among
    them, whose events stay."""
    at = datetime(2026, 1, 1)
    async with engine.begin() as connection:
        for name in ("u1", "u2", "u3", "u4", "u5"):
            await connection.execute(
                insert(users).values(
                    username=name,
                    username_key=name,
                    email=f"{name}@x.io",
                    email_key=f"{name}@x.io",
                    password="x",
                    created_at=at,
                )
            )
        ids = list((await connection.scalars(select(users.c.id).order_by(users.c.id))).all())
        assert ids == [1, 2, 3, 4, 5]
        for user_id in ids:
            session = f"{user_id:032d}"
            await connection.execute(insert(user_roles).values(user_id=user_id, role_id=1))
            await connection.execute(
                insert(sessions).values(
                    id=session, user_id=user_id, created_at=at, expires_at=at, generation=1
                )
            )
            await connection.execute(
                insert(refresh_tokens).values(
                    digest=f"{user_id:064d}", session_id=session, issued_at=at, expires_at=at
                )
            )
            await connection.execute(
                insert(one_time_tokens).values(
                    digest=f"{user_id:064d}",
                    user_id=user_id,
                    purpose="password_reset",
                    binding="b" * 64,
                    issued_at=at,
                    expires_at=at,
                )
            )
            await connection.execute(
                insert(audit_events).values(
                    at=at, type="signup", user_id=user_id, ip="", user_agent="", detail="{}"
                )
            )
        await connection.execute(delete(users).where(users.c.id.in_([3, 5])))


_HISTORY_TABLES = (users, user_roles, sessions, refresh_tokens, one_time_tokens, audit_events)


async def _every_row(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    async with engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in await connection.execute(select(table).order_by(*table.c))
            ]
            for table in _HISTORY_TABLES
        }


async def test_the_upgrade_keeps_every_row_and_never_gives_out_an_id_again(
    empty_engine: AsyncEngine,
) -> None:
    await _migrate(empty_engine, "upgrade", "0005")
    await _insert_history(empty_engine)
    before = await _every_row(empty_engine)

    await upgrade_to_head(empty_engine)

    assert await _every_row(empty_engine) == before
    assert [row[0] for row in before["users"]] == [1, 2, 4]
    assert len(before["sessions"]) == len(before["refresh_tokens"]) == 3
    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(users).values(
                username="new",
                username_key="new",
                email="new@x.io",
                email_key="new@x.io",
                password="x",
                created_at=datetime(2026, 1, 2),
            )
        )
        new_id = await connection.scalar(select(users.c.id).where(users.c.username == "new"))
    assert new_id == 6
