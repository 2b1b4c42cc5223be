"""Brings a database up to date with Alembic; never drops anything that holds data."""

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

AlembicCommand = Callable[[Config, str], None]


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", "adapters.sqlalchemy:migrations")
    config.attributes["connection"] = connection
    return config


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await migrate(engine, command.upgrade, "head")


async def migrate(engine: AsyncEngine, step: AlembicCommand, revision: str) -> None:
    """`step` is `alembic.command.upgrade` or `downgrade`. On SQLite it runs the way SQLite
    documents for altering a table: foreign keys off (the pragma does nothing inside a
    transaction, so it comes first), the change, a foreign-key check before the commit, and
    foreign keys on again. A table rebuild drops the old table, which with them on would
    cascade-delete every row that refers to it.

    On PostgreSQL the connection's statement_timeout (the request deadline, see
    `adapters.sqlalchemy.engine`) is lifted for the migration's transaction: building an index
    on a large table may take minutes. Its lock_timeout stays, so a migration that cannot have
    its table fails soon instead of queueing every request behind its lock."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await _set_foreign_keys(connection, on=False)
        try:
            async with connection.begin():
                if connection.dialect.name == "postgresql":
                    await connection.execute(text("SET LOCAL statement_timeout = 0"))
                await connection.run_sync(lambda sync: step(_alembic_config(sync), revision))
                if sqlite:
                    await _check_foreign_keys(connection)
        finally:
            if sqlite:
                await _set_foreign_keys(connection, on=True)


async def _set_foreign_keys(connection: AsyncConnection, *, on: bool) -> None:
    await connection.execute(text(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"))
    await connection.commit()


async def _check_foreign_keys(connection: AsyncConnection) -> None:
    broken = (await connection.execute(text("PRAGMA foreign_key_check"))).all()
    if broken:
        raise RuntimeError(f"the migration left rows that refer to nothing: {broken[:5]}")
