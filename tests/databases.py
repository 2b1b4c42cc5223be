"""Where the MySQL tests get a server: TEST_DATABASE_URL if set, else a testcontainers MySQL when
a Docker engine answers. Without either the MySQL tests skip, except under CI, where they fail."""

import contextlib
import os
from collections.abc import Iterator
from typing import NoReturn

import pytest
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import async_url

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
