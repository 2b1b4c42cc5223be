"""Where the SQL server tests get their servers.

MySQL: TEST_DATABASE_URL if set, else a testcontainers MySQL when a Docker engine answers.
PostgreSQL: TEST_POSTGRES_URL, by default the local server; when nothing answers there, a
testcontainers PostgreSQL when a Docker engine answers. Without a server the tests of that kind
skip, except under CI, where they fail."""

import asyncio
import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

import asyncpg
import pytest
from sqlalchemy.engine import URL

from adapters.sqlalchemy.asyncpg_principals import asyncpg_connect_args
from adapters.sqlalchemy.engine import async_url

MYSQL_IMAGE = "mysql:8.4"
POSTGRES_IMAGE = "postgres:15"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


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
        _unavailable("MySQL", f"no TEST_DATABASE_URL and no Docker engine ({error})")
    with container:
        yield async_url(container.get_connection_url())


@contextlib.contextmanager
def postgres_server() -> Iterator[URL]:
    configured = async_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    refusal = _refusal(configured)
    if refusal is None:
        yield configured
        return
    from docker.errors import DockerException  # noqa: PLC0415 - only where none answers
    from testcontainers.community.postgres import PostgresContainer  # noqa: PLC0415

    try:
        container = PostgresContainer(POSTGRES_IMAGE, driver="asyncpg")
    except DockerException as error:
        _unavailable(
            "PostgreSQL",
            f"{configured.render_as_string()} answers not ({refusal}) and no Docker engine"
            f" ({error})",
        )
    with container:
        yield async_url(container.get_connection_url())


def _refusal(url: URL) -> str | None:
    """Why the server at `url` cannot be used, or None when it answers."""

    async def connect() -> None:
        connection = await asyncpg.connect(timeout=5, **asyncpg_connect_args(url))
        await connection.close()

    try:
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, connect()).result()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def _unavailable(kind: str, reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{kind} tests must run under CI: {reason}", pytrace=False)
    pytest.skip(f"{kind} tests skipped: {reason}")
