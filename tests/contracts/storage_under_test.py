"""One storage adapter set under test, behind the ports alone: the contract tests read the same
whichever adapter answers. Every unit of work is its own transaction, so what one writes another
sees only once it is committed, as two requests would."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import (
    InMemoryAuditTrail,
    InMemoryOneTimeTokenStore,
    InMemoryPasskeyChallengeStore,
    InMemoryPasskeyStore,
    InMemoryPrincipalFinder,
    InMemorySecondFactorStore,
    InMemorySessionStore,
    InMemorySigningKeyStore,
    InMemoryStorage,
    InMemoryUnitOfWork,
    InMemoryUserReader,
    InMemoryUserRepository,
)
from adapters.sqlalchemy.audit import SqlAlchemyAuditTrail
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.one_time_tokens import SqlAlchemyOneTimeTokenStore
from adapters.sqlalchemy.passkeys import SqlAlchemyPasskeyChallengeStore, SqlAlchemyPasskeyStore
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.second_factors import SqlAlchemySecondFactorStore
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.signing_keys import SqlAlchemySigningKeyStore
from adapters.sqlalchemy.user_listing import SqlAlchemyUserReader
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.ports.audit import AuditTrail
from application.ports.mail import OneTimeTokenStore
from application.ports.passkeys import PasskeyChallengeStore, PasskeyStore
from application.ports.second_factors import SecondFactorStore
from application.ports.sessions import PrincipalFinder, SessionStore
from application.ports.signing_keys import SigningKeyStore
from application.ports.storage import UnitOfWork
from application.ports.user_listing import UserReader
from application.ports.users import UserRepository
from domain.roles import Role
from domain.session import IssuedRefreshToken, RefreshToken, Session
from domain.user import NewUser, User
from domain.values import Email, PasswordHash, Username
from tests.backdoors import Backdoor, MemoryBackdoor, SqlBackdoor
from tests.storages import TEST_DEADLINE

# Microseconds and all: every adapter must give back the moment it was given.
NOW = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
SESSION_LIFETIME = timedelta(hours=1)
TOKEN_LIFETIME = timedelta(minutes=10)
A_HASH = PasswordHash("$2b$04$" + "x" * 53)


@dataclass(frozen=True)
class Ports:
    users: UserRepository
    sessions: SessionStore
    principals: PrincipalFinder
    uow: UnitOfWork
    user_reader: UserReader
    one_time_tokens: OneTimeTokenStore
    audit: AuditTrail
    second_factors: SecondFactorStore
    passkeys: PasskeyStore
    passkey_challenges: PasskeyChallengeStore
    signing_keys: SigningKeyStore


class StorageUnderTest(Protocol):
    backdoor: Backdoor

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[Ports]:
        """The ports of one transaction, committed when the block ends without an error."""
        ...


class MemoryStorageUnderTest(StorageUnderTest):
    def __init__(self) -> None:
        self._storage = InMemoryStorage()
        self.backdoor = MemoryBackdoor(self._storage)

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Ports]:
        uow = InMemoryUnitOfWork()
        yield Ports(
            InMemoryUserRepository(self._storage),
            InMemorySessionStore(self._storage),
            InMemoryPrincipalFinder(self._storage),
            uow,
            InMemoryUserReader(self._storage),
            InMemoryOneTimeTokenStore(self._storage),
            InMemoryAuditTrail(self._storage),
            InMemorySecondFactorStore(self._storage),
            InMemoryPasskeyStore(self._storage),
            InMemoryPasskeyChallengeStore(self._storage),
            InMemorySigningKeyStore(self._storage),
        )
        await uow.commit()


class SqlStorageUnderTest(StorageUnderTest):
    """SQLAlchemy on SQLite, MySQL or PostgreSQL; on MySQL and PostgreSQL the principals may come
    instead from the driver's own pool that production uses there (`principals`)."""

    def __init__(self, engine: AsyncEngine, principals: PrincipalFinder | None = None) -> None:
        self._engine = engine
        self._principals = principals
        self.backdoor = SqlBackdoor(engine)

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Ports]:
        database = SqlAlchemyDatabase(self._engine, TEST_DEADLINE)
        principals = self._principals or SqlAlchemyPrincipalFinder(database)
        try:
            yield Ports(
                SqlAlchemyUserRepository(database),
                SqlAlchemySessionStore(database),
                principals,
                database,
                SqlAlchemyUserReader(database),
                SqlAlchemyOneTimeTokenStore(database),
                SqlAlchemyAuditTrail(database),
                SqlAlchemySecondFactorStore(database),
                SqlAlchemyPasskeyStore(database),
                SqlAlchemyPasskeyChallengeStore(database),
                SqlAlchemySigningKeyStore(database),
            )
            await database.commit()
        finally:
            await database.close()


def new_user(
    name: str = "alice", email: str | None = None, roles: frozenset[Role] = frozenset({Role.USER})
) -> NewUser:
    return NewUser(Username(name), Email(email or f"{name}@example.com"), A_HASH, roles, NOW)


async def add_user(storage: StorageUnderTest, user: NewUser | None = None) -> User:
    async with storage.unit_of_work() as ports:
        return await ports.users.add(user or new_user())


async def start_session(
    storage: StorageUnderTest, user_id: int, now: datetime = NOW
) -> tuple[Session, RefreshToken]:
    """A session begun at `now` with its first refresh token, committed."""
    session = Session.begin(user_id, now, SESSION_LIFETIME)
    token, record = session.issue_refresh_token(now, TOKEN_LIFETIME)
    async with storage.unit_of_work() as ports:
        await ports.sessions.start(session, record)
    return session, token


async def find_token(
    storage: StorageUnderTest, token: RefreshToken
) -> tuple[IssuedRefreshToken, Session] | None:
    async with storage.unit_of_work() as ports:
        return await ports.sessions.find_by_refresh_digest(token.digest)
