"""A throwaway database on a MySQL or MariaDB server, dropped afterwards whatever happens."""

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import create_engine


@contextlib.contextmanager
def throwaway_database(server: URL, prefix: str = "authgate_test") -> Iterator[URL]:
    """A database of its own for this run (of the tests, or of the bench), dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    _execute(server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield server.set(database=name)
    finally:
        _execute(server, f"DROP DATABASE IF EXISTS `{name}`")


def _execute(server: URL, statement: str) -> None:
    async def execute() -> None:
        engine = create_engine(server, pool_size=1, deadline=30)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    # A loop of its own, in a thread: the caller may be inside a running loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, execute()).result()
