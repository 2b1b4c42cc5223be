"""The storages every API and contract test runs on, and how a test database is migrated."""

import pytest
from sqlalchemy.engine import URL

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade_to_head

STORAGES = ["memory", "sqlite", pytest.param("mysql", marks=pytest.mark.mysql)]
SQL_STORAGES = ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)]
# Generous: a loaded machine is slow, and no test is about the deadline unless it sets its own.
TEST_DEADLINE = 30.0


async def migrate(url: str | URL) -> None:
    engine = create_engine(url, pool_size=1, deadline=TEST_DEADLINE)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
