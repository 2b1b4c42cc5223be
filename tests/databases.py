"""Where the MySQL tests get a server: TEST_DATABASE_URL if set, else a testcontainers MySQL when
a Docker engine answers. Without either the MySQL tests skip, except under CI, where they fail."""

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import async_url, create_engine

MYSQL_IMAGE = "mysql:8.4"


@contextlib.contextmanager
def mysql_server() -> Iterator[URL]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield async_url(configured)
        return
    from docker.errors import DockerException  # noqa: PLC0415 - only where no URL is given
    from testcontainers.community.mysql import MySqlContainer  # noqa: PLC0415

    try:
        container = MySqlContainer(MYSQL_IMAGE, dialect="asyncmy")
    except DockerException as error:
        _unavailable(f"no TEST_DATABASE_URL and no Docker engine for testcontainers ({error})")
    with container:
        yield async_url(container.get_connection_url())


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"MySQL tests must run under CI: {reason}", pytrace=False)
    pytest.skip(f"MySQL tests skipped: {reason}")


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
