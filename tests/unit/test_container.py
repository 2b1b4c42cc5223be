"""The composition root wires, for each storage, the adapters the contract suite tests
(tests/contracts): a test of an adapter production does not use would prove nothing."""

from pathlib import Path

import pytest

from adapters.memory import (
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemorySigningKeyStore,
    InMemoryUserRepository,
)
from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder
from adapters.sqlalchemy.asyncpg_principals import AsyncpgPrincipalFinder
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.signing_keys import SqlAlchemySigningKeyStore
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.ports.sessions import PrincipalFinder, SessionStore
from application.ports.signing_keys import SigningKeyStore
from application.ports.storage import UnitOfWork
from application.ports.users import UserRepository
from entrypoints.ioc import build_container
from entrypoints.settings import Settings
from tests.tokens import TEST_SECRET


@pytest.mark.parametrize(
    ("database_url", "adapters"),
    [
        (
            "memory://",
            (
                InMemoryUserRepository,
                InMemorySessionStore,
                InMemoryPrincipalFinder,
                InMemorySigningKeyStore,
            ),
        ),
        (
            "sqlite:///{data}/authgate.sqlite3",
            (
                SqlAlchemyUserRepository,
                SqlAlchemySessionStore,
                SqlAlchemyPrincipalFinder,
                SqlAlchemySigningKeyStore,
            ),
        ),
        (
            # Nothing connects until a request needs it, so no server is needed here.
            "mysql://nobody@127.0.0.1:9/authgate",
            (
                SqlAlchemyUserRepository,
                SqlAlchemySessionStore,
                AsyncmyPrincipalFinder,
                SqlAlchemySigningKeyStore,
            ),
        ),
        (
            "postgres://nobody@127.0.0.1:9/authgate",
            (
                SqlAlchemyUserRepository,
                SqlAlchemySessionStore,
                AsyncpgPrincipalFinder,
                SqlAlchemySigningKeyStore,
            ),
        ),
    ],
    ids=["memory", "sqlite", "mysql", "postgres"],
)
async def test_each_storage_is_served_by_the_adapters_the_contract_suite_tests(
    tmp_path: Path, database_url: str, adapters: tuple[type, ...]
) -> None:
    settings = Settings.of(
        database_url=database_url.format(data=tmp_path), jwt_secret=TEST_SECRET, data_dir=tmp_path
    )
    container = build_container(settings)
    try:
        async with container() as request:
            served = (
                await request.get(UserRepository),
                await request.get(SessionStore),
                await request.get(PrincipalFinder),
                await request.get(SigningKeyStore),
            )
            unit_of_work = await request.get(UnitOfWork)
    finally:
        await container.close()

    assert tuple(type(adapter) for adapter in served) == adapters
    if not settings.database.uses_memory_storage:
        assert isinstance(unit_of_work, SqlAlchemyDatabase)
