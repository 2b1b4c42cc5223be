"""The composition root: which adapter serves which port, chosen once from the settings."""

from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

from asyncmy.pool import Pool
from dishka import (
    AsyncContainer,
    Provider,
    Scope,
    alias,
    from_context,
    make_async_container,
    provide,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.clock import SystemClock
from adapters.jwt_tokens import JwtAccessTokens
from adapters.memory import (
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryStorageProbe,
    InMemoryUnitOfWork,
    InMemoryUserRepository,
)
from adapters.prometheus_metrics import PrometheusMetrics
from adapters.refresh_tokens import HmacRefreshTokenSuccession
from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import async_url, create_engine
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.authenticate_user import AuthenticateUser
from application.authorize_access import AuthorizeAccess
from application.check_readiness import CheckReadiness
from application.create_administrator import CreateAdministrator
from application.identify_caller import IdentifyCaller
from application.ports import (
    AccessTokenIssuer,
    AccessTokenVerifier,
    Clock,
    Metrics,
    PasswordHasher,
    PrincipalFinder,
    RefreshTokenSuccession,
    SessionStore,
    StorageProbe,
    UnitOfWork,
    UserRepository,
)
from application.purge_sessions import PurgeSessions
from application.refresh_session import RefreshSession
from application.register_user import RegisterUser
from application.session_policy import SessionPolicy
from application.sign_out import SignOut
from application.transactions import RetryPolicy, Transactions
from entrypoints.settings import Settings


class CoreProvider(Provider):
    """Stateless services shared by every request: built once per process. The settings enter
    as the container's context."""

    scope = Scope.APP

    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide
    def session_policy(self, settings: Settings) -> SessionPolicy:
        return settings.session_policy

    @provide
    def retry_policy(self, settings: Settings) -> RetryPolicy:
        return settings.retry_policy

    clock = provide(SystemClock, provides=Clock)
    metrics = provide(PrometheusMetrics, provides=Metrics)

    @provide
    def password_hasher(self, settings: Settings, metrics: Metrics) -> Iterator[PasswordHasher]:
        threads = settings.hashing_threads
        executor = ThreadPoolExecutor(threads, thread_name_prefix="bcrypt")
        yield BcryptPasswordHasher(
            settings.bcrypt_cost,
            executor,
            slots=threads,
            queue_timeout=settings.hash_queue_timeout,
            metrics=metrics,
        )
        executor.shutdown(wait=True)

    @provide
    def access_tokens(self, settings: Settings, clock: Clock) -> JwtAccessTokens:
        return JwtAccessTokens(settings.jwt_secret, settings.access_token_lifetime, clock)

    issuer = alias(source=JwtAccessTokens, provides=AccessTokenIssuer)
    verifier = alias(source=JwtAccessTokens, provides=AccessTokenVerifier)

    @provide
    def refresh_token_succession(self, settings: Settings) -> RefreshTokenSuccession:
        return HmacRefreshTokenSuccession(settings.jwt_secret)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    transactions = provide(Transactions)
    identify_caller = provide(IdentifyCaller)
    authorize_access = provide(AuthorizeAccess)
    register_user = provide(RegisterUser)
    authenticate_user = provide(AuthenticateUser)
    refresh_session = provide(RefreshSession)
    sign_out = provide(SignOut)
    purge_sessions = provide(PurgeSessions)
    create_administrator = provide(CreateAdministrator)
    check_readiness = provide(CheckReadiness)


class SqlStorageProvider(Provider):
    """MySQL, MariaDB or SQLite: one connection per request, opened only if the request needs it,
    every call under the request's deadline."""

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(
            settings.database_url, pool_size=settings.db_pool_size, deadline=settings.db_deadline
        )
        yield engine
        await engine.dispose()

    @provide(scope=Scope.REQUEST)
    async def database(
        self, engine: AsyncEngine, settings: Settings
    ) -> AsyncIterator[SqlAlchemyDatabase]:
        database = SqlAlchemyDatabase(engine, settings.db_deadline)
        yield database
        # Whatever a use case did not commit is rolled back as the connection goes back.
        await database.close()

    unit_of_work = alias(source=SqlAlchemyDatabase, provides=UnitOfWork)
    probe = alias(source=SqlAlchemyDatabase, provides=StorageProbe)
    users = provide(SqlAlchemyUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    sessions = provide(SqlAlchemySessionStore, provides=SessionStore, scope=Scope.REQUEST)


class SqliteStorageProvider(SqlStorageProvider):
    principals = provide(SqlAlchemyPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)


class MySqlStorageProvider(SqlStorageProvider):
    """MySQL and MariaDB: the hot authorization query runs on the driver directly, on a pool of
    its own of up to DB_POOL_SIZE connections (beside the engine's DB_POOL_SIZE plus as many
    again in overflow)."""

    @provide(scope=Scope.APP)
    async def principal_pool(self, settings: Settings) -> AsyncIterator[Pool]:
        url = async_url(settings.database_url)
        async with asyncmy_pool(url, settings.db_pool_size, settings.db_deadline) as pool:
            yield pool

    @provide(scope=Scope.APP)
    def principals(self, pool: Pool, settings: Settings) -> PrincipalFinder:
        return AsyncmyPrincipalFinder(pool, settings.db_deadline)


class InMemoryStorageProvider(Provider):
    @provide(scope=Scope.APP)
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()

    unit_of_work = provide(InMemoryUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    probe = provide(InMemoryStorageProbe, provides=StorageProbe, scope=Scope.REQUEST)
    users = provide(InMemoryUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    principals = provide(InMemoryPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)
    sessions = provide(InMemorySessionStore, provides=SessionStore, scope=Scope.REQUEST)


def storage_provider(settings: Settings) -> Provider:
    if settings.uses_memory_storage:
        return InMemoryStorageProvider()
    if async_url(settings.database_url).get_backend_name() in ("mysql", "mariadb"):
        return MySqlStorageProvider()
    return SqliteStorageProvider()


def build_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """The one composition root. Tests pass providers that override a port (a fake clock)."""
    return make_async_container(
        CoreProvider(),
        UseCaseProvider(),
        storage_provider(settings),
        *overrides,
        context={Settings: settings},
    )
