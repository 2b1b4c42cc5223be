"""The composition root: which adapter serves which port, chosen once from the settings."""

from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

from asyncmy.pool import Pool
from dishka import AsyncContainer, Provider, Scope, alias, make_async_container, provide
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.clock import SystemClock
from adapters.jwt_tokens import JwtAccessTokens
from adapters.memory import (
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryUnitOfWork,
    InMemoryUserRepository,
)
from adapters.sqlalchemy.engine import async_url, create_engine
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.authenticate_user import AuthenticateUser
from application.authorize_access import AuthorizeAccess
from application.create_administrator import CreateAdministrator
from application.identify_caller import IdentifyCaller
from application.ports import (
    AccessTokenIssuer,
    AccessTokenVerifier,
    Clock,
    PasswordHasher,
    PrincipalFinder,
    SessionStore,
    UnitOfWork,
    UserRepository,
)
from application.purge_sessions import PurgeSessions
from application.refresh_session import RefreshSession
from application.register_user import RegisterUser
from application.session_policy import SessionPolicy
from application.sign_out import SignOut
from entrypoints.settings import Settings


class CoreProvider(Provider):
    """Stateless services shared by every request: built once per process."""

    scope = Scope.APP

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings

    @provide
    def settings(self) -> Settings:
        return self._settings

    @provide
    def session_policy(self, settings: Settings) -> SessionPolicy:
        return settings.session_policy

    clock = provide(SystemClock, provides=Clock)

    @provide
    def password_hasher(self, settings: Settings) -> Iterator[PasswordHasher]:
        executor = ThreadPoolExecutor(settings.bcrypt_threads, thread_name_prefix="bcrypt")
        yield BcryptPasswordHasher(settings.bcrypt_cost, executor)
        executor.shutdown(wait=True)

    @provide
    def access_tokens(self, settings: Settings) -> JwtAccessTokens:
        return JwtAccessTokens(settings.jwt_secret, settings.access_token_lifetime)

    issuer = alias(source=JwtAccessTokens, provides=AccessTokenIssuer)
    verifier = alias(source=JwtAccessTokens, provides=AccessTokenVerifier)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    identify_caller = provide(IdentifyCaller)
    authorize_access = provide(AuthorizeAccess)
    register_user = provide(RegisterUser)
    authenticate_user = provide(AuthenticateUser)
    refresh_session = provide(RefreshSession)
    sign_out = provide(SignOut)
    purge_sessions = provide(PurgeSessions)
    create_administrator = provide(CreateAdministrator)


class SqlAlchemyStorageProvider(Provider):
    """MySQL, MariaDB or SQLite: one connection per request, opened only if the request needs it."""

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        yield engine
        await engine.dispose()

    @provide(scope=Scope.REQUEST)
    async def connection(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        # Whatever a use case did not commit is rolled back when the connection goes back.
        async with engine.connect() as connection:
            yield connection

    unit_of_work = provide(SqlAlchemyUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    users = provide(SqlAlchemyUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    principals = provide(SqlAlchemyPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)
    sessions = provide(SqlAlchemySessionStore, provides=SessionStore, scope=Scope.REQUEST)


class MySqlStorageProvider(SqlAlchemyStorageProvider):
    """MySQL and MariaDB: as above, but the hot authorization query runs on the driver directly."""

    @provide(scope=Scope.APP)
    async def principal_pool(self, settings: Settings) -> AsyncIterator[Pool]:
        async with asyncmy_pool(async_url(settings.database_url), settings.db_pool_size) as pool:
            yield pool

    principals = provide(AsyncmyPrincipalFinder, provides=PrincipalFinder, scope=Scope.APP)


class InMemoryStorageProvider(Provider):
    @provide(scope=Scope.APP)
    def storage(self) -> InMemoryStorage:
        return InMemoryStorage()

    unit_of_work = provide(InMemoryUnitOfWork, provides=UnitOfWork, scope=Scope.REQUEST)
    users = provide(InMemoryUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    principals = provide(InMemoryPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)
    sessions = provide(InMemorySessionStore, provides=SessionStore, scope=Scope.REQUEST)


def storage_provider(settings: Settings) -> Provider:
    if settings.uses_memory_storage:
        return InMemoryStorageProvider()
    if async_url(settings.database_url).get_backend_name() in ("mysql", "mariadb"):
        return MySqlStorageProvider()
    return SqlAlchemyStorageProvider()


def build_container(settings: Settings, *extra: Provider) -> AsyncContainer:
    return make_async_container(
        CoreProvider(settings), UseCaseProvider(), storage_provider(settings), *extra
    )
