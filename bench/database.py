"""A throwaway database on the benchmark's MySQL server, dropped at the end whatever happens."""

import asyncio
import contextlib
import secrets
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from bench.errors import BenchError

_START_HINT = (
    "is MariaDB running? Start the local one with "
    "`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`"
)


@contextlib.contextmanager
def throwaway_database(server: URL) -> Iterator[URL]:
    """The URL of a new, empty database on `server`; the service migrates it when it starts."""
    name = f"authgate_bench_{secrets.token_hex(6)}"
    # utf8mb4 so that any username or email the service accepts fits, whatever the server default.
    _execute(server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield server.set(database=name)
    finally:
        _execute(server, f"DROP DATABASE IF EXISTS `{name}`")


def _execute(server: URL, statement: str) -> None:
    try:
        asyncio.run(_execute_async(server, statement))
    except (SQLAlchemyError, OSError) as error:
        raise BenchError(f"{statement} failed on {server!r}: {error}; {_START_HINT}") from error


async def _execute_async(server: URL, statement: str) -> None:
    engine = create_async_engine(server.set(database=None))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
