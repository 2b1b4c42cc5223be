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
    InMemoryAuditTrail,
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryUnitOfWork,
    InMemoryUserRepository,
)
from adapters.metrics import CountingMetrics
from adapters.refresh_tokens import HmacRefreshTokenSuccession
from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.sqlalchemy.audit import SqlAlchemyAuditTrail
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import async_url, create_engine
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.audit_log import AuditLog
from application.authenticate_user import AuthenticateUser
from application.authorize_access import AuthorizeAccess
from application.authorize_administrator import AuthorizeAdministrator
from application.change_password import ChangePassword
from application.create_administrator import CreateAdministrator
from application.delete_own_account import DeleteOwnAccount
from application.delete_user import DeleteUser
from application.disable_user import DisableUser
from application.enable_user import EnableUser
from application.end_own_session import EndOwnSession
from application.end_own_sessions import EndOwnSessions
from application.end_user_sessions import EndUserSessions
from application.get_own_account import GetOwnAccount
from application.get_user import GetUser
from application.identify_caller import IdentifyCaller
from application.list_own_sessions import ListOwnSessions
from application.list_users import ListUsers
from application.ports import (
    AccessTokenIssuer,
    AccessTokenVerifier,
    AuditTrail,
    Clock,
    Metrics,
    PasswordHasher,
    PrincipalFinder,
    RefreshTokenSuccession,
    SessionStore,
    UnitOfWork,
    UserRepository,
)
from application.purge_audit_events import AuditPolicy, PurgeAuditEvents
from application.purge_sessions import PurgeSessions
from application.read_audit_trail import ReadAuditTrail
from application.refresh_session import RefreshSession
from application.register_user import RegisterUser
from application.session_policy import SessionPolicy
from application.set_user_roles import SetUserRoles
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

    @provide
    def audit_policy(self, settings: Settings) -> AuditPolicy:
        return settings.audit_policy

    clock = provide(SystemClock, provides=Clock)
    metrics = provide(CountingMetrics, provides=Metrics)

    @provide
    def password_hasher(self, settings: Settings) -> Iterator[PasswordHasher]:
        threads = settings.hashing_threads
        executor = ThreadPoolExecutor(threads, thread_name_prefix="bcrypt")
        yield BcryptPasswordHasher(
            settings.bcrypt_cost, executor, slots=threads, queue_timeout=settings.hash_queue_timeout
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
    audit_log = provide(AuditLog)
    authorize_administrator = provide(AuthorizeAdministrator)
    get_own_account = provide(GetOwnAccount)
    change_password = provide(ChangePassword)
    delete_own_account = provide(DeleteOwnAccount)
    list_own_sessions = provide(ListOwnSessions)
    end_own_session = provide(EndOwnSession)
    end_own_sessions = provide(EndOwnSessions)
    list_users = provide(ListUsers)
    get_user = provide(GetUser)
    set_user_roles = provide(SetUserRoles)
    disable_user = provide(DisableUser)
    enable_user = provide(EnableUser)
    delete_user = provide(DeleteUser)
    end_user_sessions = provide(EndUserSessions)
    read_audit_trail = provide(ReadAuditTrail)
    purge_audit_events = provide(PurgeAuditEvents)


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
    users = provide(SqlAlchemyUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    sessions = provide(SqlAlchemySessionStore, provides=SessionStore, scope=Scope.REQUEST)
    audit_trail = provide(SqlAlchemyAuditTrail, provides=AuditTrail, scope=Scope.REQUEST)


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
    users = provide(InMemoryUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    principals = provide(InMemoryPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)
    sessions = provide(InMemorySessionStore, provides=SessionStore, scope=Scope.REQUEST)
    audit_trail = provide(InMemoryAuditTrail, provides=AuditTrail, scope=Scope.REQUEST)


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
