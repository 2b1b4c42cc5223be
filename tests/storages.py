"""The storages every API and contract test runs on, and how a test database is migrated."""

import pytest
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade_to_head

MYSQL = pytest.param("mysql", marks=pytest.mark.mysql)
POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
# The servers: each has a session fixture `<kind>_url` (tests/conftest.py).
SERVER_STORAGES = [MYSQL, POSTGRES]
SQL_STORAGES = ["sqlite", *SERVER_STORAGES]
STORAGES = ["memory", *SQL_STORAGES]
# Generous: a loaded machine is slow, and no test is about the deadline unless it sets its own.
TEST_DEADLINE = 30.0


async def migrate(url: str | URL) -> None:
    engine = create_engine(url, pool_size=1, deadline=TEST_DEADLINE)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
