from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete

from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.sqlalchemy.asyncpg_principals import AsyncpgPrincipalFinder, asyncpg_connections
from adapters.sqlalchemy.engine import async_url, create_engine
from adapters.sqlalchemy.tables import audit_events, passkey_challenges
from tests.contracts.storage_under_test import (
    MemoryStorageUnderTest,
    SqlStorageUnderTest,
    StorageUnderTest,
)
from tests.storages import TEST_DEADLINE


@pytest.fixture
def principal_finder() -> str:
    """Which PrincipalFinder serves: the storage's own unless a test names another."""
    return "own"


@pytest.fixture
async def storage(database_url: str, principal_finder: str) -> AsyncIterator[StorageUnderTest]:
    """The adapters of the storage the test is parametrized with, on an empty database."""
    if database_url.startswith("memory"):
        yield MemoryStorageUnderTest()
        return
    engine = create_engine(database_url, pool_size=4, deadline=TEST_DEADLINE)
    try:
        # A server's database is shared by the run; the trail is not emptied with the users.
        async with engine.begin() as connection:
            await connection.execute(delete(audit_events))
            await connection.execute(delete(passkey_challenges))
        if principal_finder == "asyncmy":
            async with asyncmy_pool(async_url(database_url), 2, TEST_DEADLINE) as pool:
                yield SqlStorageUnderTest(engine, AsyncmyPrincipalFinder(pool, TEST_DEADLINE))
        elif principal_finder == "asyncpg":
            url = async_url(database_url)
            async with asyncpg_connections(url, 2, TEST_DEADLINE) as connections:
                finder = AsyncpgPrincipalFinder(connections, TEST_DEADLINE)
                yield SqlStorageUnderTest(engine, finder)
        else:
            yield SqlStorageUnderTest(engine)
    finally:
        await engine.dispose()
