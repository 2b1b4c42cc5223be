"""A throwaway database on a MySQL, MariaDB or PostgreSQL server, dropped afterwards whatever
happens."""

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import async_url, create_engine

# Each server's own spelling, keyed by SQLAlchemy's dialect name. PostgreSQL's databases are
# UTF-8 by default, and one is dropped even while a connection of the run is still open on it.
_CREATE = {
    "mysql": "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
    "postgresql": "CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0",
}
_DROP = {
    "mysql": "DROP DATABASE IF EXISTS `{name}`",
    "postgresql": 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
}


@contextlib.contextmanager
def throwaway_database(server: URL, prefix: str = "authgate_test") -> Iterator[URL]:
    """A database of its own for this run (of the tests, or of the bench), dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    server = async_url(server)
    dialect = server.get_backend_name()
    _execute(server, _CREATE[dialect].format(name=name))
    try:
        yield server.set(database=name)
    finally:
        _execute(server, _DROP[dialect].format(name=name))


def _execute(server: URL, statement: str) -> None:
    async def execute() -> None:
        engine = create_engine(server, pool_size=1, deadline=30)
        try:
            # PostgreSQL creates and drops databases outside a transaction only.
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    # A loop of its own, in a thread: the caller may be inside a running loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, execute()).result()
