"""Where the data lives: SQL (MySQL, MariaDB, PostgreSQL, SQLite) or memory, and optionally the
rate-limit tallies in Redis."""

from collections.abc import AsyncIterator, Sequence

from asyncmy.pool import Pool
from dishka import Provider, Scope, alias, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fail_open import FailOpenAttemptCounter
from adapters.key_ring import KeySource
from adapters.memory import (
    InMemoryAttemptCounter,
    InMemoryAuditTrail,
    InMemoryOneTimeTokenStore,
    InMemoryPasskeyChallengeStore,
    InMemoryPasskeyStore,
    InMemoryPrincipalFinder,
    InMemorySecondFactorStore,
    InMemorySessionStore,
    InMemorySigningKeyStore,
    InMemoryStorage,
    InMemoryStorageProbe,
    InMemoryUnitOfWork,
    InMemoryUserReader,
    InMemoryUserRepository,
)
from adapters.redis.attempts import RedisAttemptCounter
from adapters.redis.client import create_redis
from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.sqlalchemy.asyncpg_principals import (
    AsyncpgConnections,
    AsyncpgPrincipalFinder,
    asyncpg_connections,
)
from adapters.sqlalchemy.attempts import SqlAlchemyAttemptCounter
from adapters.sqlalchemy.audit import SqlAlchemyAuditTrail
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import async_url, create_engine
from adapters.sqlalchemy.one_time_tokens import SqlAlchemyOneTimeTokenStore
from adapters.sqlalchemy.passkeys import SqlAlchemyPasskeyChallengeStore, SqlAlchemyPasskeyStore
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.second_factors import SqlAlchemySecondFactorStore
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.signing_keys import SqlAlchemySigningKeyStore
from adapters.sqlalchemy.user_listing import SqlAlchemyUserReader
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.keys.policy import KeyPolicy
from application.keys.rotate_signing_key import RotateSigningKey
from application.ports.attempts import AttemptCounter
from application.ports.audit import AuditTrail
from application.ports.clock import Clock
from application.ports.mail import OneTimeTokenStore
from application.ports.passkeys import PasskeyChallengeStore, PasskeyStore
from application.ports.second_factors import SecondFactorStore
from application.ports.sessions import PrincipalFinder, SessionStore
from application.ports.signing_keys import SigningKeyFactory, SigningKeyStore, StoredSigningKey
from application.ports.storage import StorageProbe, UnitOfWork
from application.ports.user_listing import UserReader
from application.ports.users import UserRepository
from application.shared.transactions import RetryPolicy, Transactions
from entrypoints.settings import DatabaseSettings, LimitSettings


class SqlStorageProvider(Provider):
    """MySQL, MariaDB, PostgreSQL or SQLite: one connection per request, opened only if the
    request needs it, every call under the request's deadline."""

    @provide(scope=Scope.APP)
    async def engine(self, database: DatabaseSettings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(
            database.url,
            pool_size=database.pool_size,
            deadline=database.deadline,
            causal_reads=database.causal_reads,
        )
        yield engine
        await engine.dispose()

    @provide(scope=Scope.REQUEST)
    async def database(
        self, engine: AsyncEngine, settings: DatabaseSettings
    ) -> AsyncIterator[SqlAlchemyDatabase]:
        database = SqlAlchemyDatabase(engine, settings.deadline)
        yield database
        # Whatever a use case did not commit is rolled back as the connection goes back.
        await database.close()

    unit_of_work = alias(source=SqlAlchemyDatabase, provides=UnitOfWork)
    probe = alias(source=SqlAlchemyDatabase, provides=StorageProbe)
    users = provide(SqlAlchemyUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    user_reader = provide(SqlAlchemyUserReader, provides=UserReader, scope=Scope.REQUEST)
    sessions = provide(SqlAlchemySessionStore, provides=SessionStore, scope=Scope.REQUEST)
    one_time_tokens = provide(
        SqlAlchemyOneTimeTokenStore, provides=OneTimeTokenStore, scope=Scope.REQUEST
    )
    attempts = provide(SqlAlchemyAttemptCounter, provides=AttemptCounter, scope=Scope.REQUEST)
    audit_trail = provide(SqlAlchemyAuditTrail, provides=AuditTrail, scope=Scope.REQUEST)
    signing_keys = provide(SqlAlchemySigningKeyStore, provides=SigningKeyStore, scope=Scope.REQUEST)
    second_factors = provide(
        SqlAlchemySecondFactorStore, provides=SecondFactorStore, scope=Scope.REQUEST
    )
    passkeys = provide(SqlAlchemyPasskeyStore, provides=PasskeyStore, scope=Scope.REQUEST)
    passkey_challenges = provide(
        SqlAlchemyPasskeyChallengeStore, provides=PasskeyChallengeStore, scope=Scope.REQUEST
    )

    @provide(scope=Scope.APP)
    async def key_source(
        self,
        database: DatabaseSettings,
        factory: SigningKeyFactory,
        clock: Clock,
        policy: KeyPolicy,
        retries: RetryPolicy,
    ) -> AsyncIterator[KeySource]:
        # Its own single connection (and as many again in overflow on MySQL): see KeySource.
        engine = create_engine(
            database.url,
            pool_size=1,
            deadline=database.deadline,
            causal_reads=database.causal_reads,
        )
        yield SqlKeySource(engine, database.deadline, factory, clock, policy, retries)
        await engine.dispose()


class SqlKeySource(KeySource):
    """The keys for the key ring, on an engine of their own."""

    def __init__(
        self,
        engine: AsyncEngine,
        deadline: float,
        factory: SigningKeyFactory,
        clock: Clock,
        policy: KeyPolicy,
        retries: RetryPolicy,
    ) -> None:
        self._engine = engine
        self._deadline = deadline
        self._factory = factory
        self._clock = clock
        self._policy = policy
        self._retries = retries

    async def load(self) -> Sequence[StoredSigningKey]:
        database = SqlAlchemyDatabase(self._engine, self._deadline)
        try:
            keys = SqlAlchemySigningKeyStore(database)
            transactions = Transactions(database, self._retries)
            use_case = RotateSigningKey(
                keys, self._factory, transactions, self._clock, self._policy
            )
            return await use_case.first()
        finally:
            await database.close()


class MemoryKeySource(KeySource):
    def __init__(
        self,
        storage: InMemoryStorage,
        factory: SigningKeyFactory,
        clock: Clock,
        policy: KeyPolicy,
        retries: RetryPolicy,
    ) -> None:
        uow = InMemoryUnitOfWork()
        self._first = RotateSigningKey(
            InMemorySigningKeyStore(storage), factory, Transactions(uow, retries), clock, policy
        ).first

    async def load(self) -> Sequence[StoredSigningKey]:
        return await self._first()


class SqliteStorageProvider(SqlStorageProvider):
    principals = provide(SqlAlchemyPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)


class MySqlStorageProvider(SqlStorageProvider):
    """MySQL and MariaDB: the hot authorization query runs on the driver directly, on a pool of
    its own of up to DB_POOL_SIZE connections (beside the engine's DB_POOL_SIZE plus as many
    again in overflow)."""

    @provide(scope=Scope.APP)
    async def principal_pool(self, database: DatabaseSettings) -> AsyncIterator[Pool]:
        url = async_url(database.url)
        async with asyncmy_pool(
            url, database.pool_size, database.deadline, causal_reads=database.causal_reads
        ) as pool:
            yield pool

    @provide(scope=Scope.APP)
    def principals(self, pool: Pool, database: DatabaseSettings) -> PrincipalFinder:
        return AsyncmyPrincipalFinder(pool, database.deadline)


class PostgresStorageProvider(SqlStorageProvider):
    """PostgreSQL: the hot authorization query runs on asyncpg directly, as on MySQL, on up to
    DB_POOL_SIZE connections of its own."""

    @provide(scope=Scope.APP)
    async def principal_connections(
        self, database: DatabaseSettings
    ) -> AsyncIterator[AsyncpgConnections]:
        url = async_url(database.url)
        async with asyncpg_connections(url, database.pool_size, database.deadline) as connections:
            yield connections

    @provide(scope=Scope.APP)
    def principals(
        self, connections: AsyncpgConnections, database: DatabaseSettings
    ) -> PrincipalFinder:
        return AsyncpgPrincipalFinder(connections, database.deadline)


class InMemoryStorageProvider(Provider):
    @provide(scope=Scope.APP)
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()

    key_source = provide(MemoryKeySource, provides=KeySource, scope=Scope.APP)

    unit_of_work = provide(InMemoryUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    probe = provide(InMemoryStorageProbe, provides=StorageProbe, scope=Scope.REQUEST)
    users = provide(InMemoryUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    user_reader = provide(InMemoryUserReader, provides=UserReader, scope=Scope.REQUEST)
    principals = provide(InMemoryPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)
    sessions = provide(InMemorySessionStore, provides=SessionStore, scope=Scope.REQUEST)
    one_time_tokens = provide(
        InMemoryOneTimeTokenStore, provides=OneTimeTokenStore, scope=Scope.REQUEST
    )
    attempts = provide(InMemoryAttemptCounter, provides=AttemptCounter, scope=Scope.REQUEST)

    audit_trail = provide(InMemoryAuditTrail, provides=AuditTrail, scope=Scope.REQUEST)
    signing_keys = provide(InMemorySigningKeyStore, provides=SigningKeyStore, scope=Scope.REQUEST)
    second_factors = provide(
        InMemorySecondFactorStore, provides=SecondFactorStore, scope=Scope.REQUEST
    )
    passkeys = provide(InMemoryPasskeyStore, provides=PasskeyStore, scope=Scope.REQUEST)
    passkey_challenges = provide(
        InMemoryPasskeyChallengeStore, provides=PasskeyChallengeStore, scope=Scope.REQUEST
    )


class RedisAttemptsProvider(Provider):
    """Rate-limit tallies in Redis instead of the main storage (REDIS_URL). While Redis is down
    the limits are not applied rather than signins refused (see README)."""

    scope = Scope.APP

    @provide
    async def redis(
        self, limits: LimitSettings, database: DatabaseSettings
    ) -> AsyncIterator[Redis]:
        client = create_redis(limits.redis_url, timeout=min(REDIS_TIMEOUT, database.deadline))
        yield client
        await client.aclose()

    @provide
    def attempts(self, client: Redis) -> AttemptCounter:
        return FailOpenAttemptCounter(RedisAttemptCounter(client))


# Every Redis call a request makes waits at most this long (seconds): the limits fail open, so
# a stalled Redis costs each request this much at most, twice.
REDIS_TIMEOUT = 0.5


def storage_provider(database: DatabaseSettings) -> Provider:
    if database.uses_memory_storage:
        return InMemoryStorageProvider()
    backend = async_url(database.url).get_backend_name()
    if backend in ("mysql", "mariadb"):
        return MySqlStorageProvider()
    if backend == "postgresql":
        return PostgresStorageProvider()
    return SqliteStorageProvider()


def attempts_providers(limits: LimitSettings) -> list[Provider]:
    """Redis keeps the tallies when REDIS_URL is set; else the storage above does."""
    return [RedisAttemptsProvider()] if limits.redis_url else []
