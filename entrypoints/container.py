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
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.clock import SystemClock
from adapters.common_passwords import ZxcvbnCommonPasswords
from adapters.fail_open import FailOpenAttemptCounter
from adapters.jwt_tokens import JwtAccessTokens
from adapters.mail.delivery import BackgroundMailDelivery
from adapters.mail.outbox import OutboxMailer
from adapters.mail.smtp import SmtpMailer
from adapters.memory import (
    InMemoryAttemptCounter,
    InMemoryAuditTrail,
    InMemoryOneTimeTokenStore,
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryStorageProbe,
    InMemoryUnitOfWork,
    InMemoryUserReader,
    InMemoryUserRepository,
)
from adapters.prometheus_metrics import PrometheusMetrics
from adapters.redis.attempts import RedisAttemptCounter
from adapters.redis.client import create_redis
from adapters.refresh_tokens import HmacRefreshTokenSuccession
from adapters.sqlalchemy.asyncmy_principals import AsyncmyPrincipalFinder, asyncmy_pool
from adapters.sqlalchemy.attempts import SqlAlchemyAttemptCounter
from adapters.sqlalchemy.audit import SqlAlchemyAuditTrail
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.engine import async_url, create_engine
from adapters.sqlalchemy.one_time_tokens import SqlAlchemyOneTimeTokenStore
from adapters.sqlalchemy.principals import SqlAlchemyPrincipalFinder
from adapters.sqlalchemy.sessions import SqlAlchemySessionStore
from adapters.sqlalchemy.user_listing import SqlAlchemyUserReader
from adapters.sqlalchemy.users import SqlAlchemyUserRepository
from application.access.authorize_access import AuthorizeAccess
from application.accounts.change_password import ChangePassword
from application.accounts.delete_own_account import DeleteOwnAccount
from application.accounts.get_own_account import GetOwnAccount
from application.accounts.register_user import RegisterUser
from application.admin.authorize_administrator import AuthorizeAdministrator
from application.admin.create_administrator import CreateAdministrator
from application.admin.delete_user import DeleteUser
from application.admin.disable_user import DisableUser
from application.admin.enable_user import EnableUser
from application.admin.end_user_sessions import EndUserSessions
from application.admin.get_user import GetUser
from application.admin.list_users import ListUsers
from application.admin.read_audit_trail import ReadAuditTrail
from application.admin.set_user_roles import SetUserRoles
from application.operations.check_readiness import CheckReadiness
from application.operations.purge_audit_events import AuditPolicy, PurgeAuditEvents
from application.operations.purge_sessions import PurgeSessions
from application.ports.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from application.ports.attempts import AttemptCounter
from application.ports.audit import AuditTrail
from application.ports.clock import Clock
from application.ports.mail import Mailer, OneTimeTokenStore, OutgoingMail, PasswordResetRequests
from application.ports.metrics import Metrics
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.sessions import PrincipalFinder, RefreshTokenSuccession, SessionStore
from application.ports.storage import StorageProbe, UnitOfWork
from application.ports.user_listing import UserReader
from application.ports.users import UserRepository
from application.recovery.request_password_reset import RequestPasswordReset, SendPasswordReset
from application.recovery.resend_verification import ResendVerification
from application.recovery.reset_password import ResetPassword
from application.recovery.verify_email import VerifyEmail
from application.sessions.authenticate_user import AuthenticateUser, SigninRules
from application.sessions.end_own_session import EndOwnSession
from application.sessions.end_own_sessions import EndOwnSessions
from application.sessions.list_own_sessions import ListOwnSessions
from application.sessions.refresh_session import RefreshSession
from application.sessions.sign_out import SignOut
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens, TokenPolicy
from application.shared.rate_limits import RateLimitPolicy
from application.shared.session_policy import SessionPolicy
from application.shared.throttle import Throttle
from application.shared.transactions import RetryPolicy, Transactions
from entrypoints.background import BackgroundPasswordResets
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
    def token_policy(self, settings: Settings) -> TokenPolicy:
        return settings.token_policy

    @provide
    def signin_rules(self, settings: Settings) -> SigninRules:
        return SigninRules(require_verified_email=settings.require_verified_email)

    @provide
    def rate_limit_policy(self, settings: Settings) -> RateLimitPolicy:
        return settings.rate_limit_policy

    @provide
    def audit_policy(self, settings: Settings) -> AuditPolicy:
        return settings.audit_policy

    clock = provide(SystemClock, provides=Clock)
    metrics = provide(PrometheusMetrics, provides=Metrics)
    common_passwords = provide(ZxcvbnCommonPasswords, provides=CommonPasswords)

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


class MailProvider(Provider):
    """SMTP when SMTP_URL is set, else the outbox folder; always delivered in the background.
    Closing the container closes the reset requests in hand first, then the delivery (each
    needs what comes after it), each with MAIL_SHUTDOWN_GRACE to finish."""

    scope = Scope.APP

    @provide
    def mailer(self, settings: Settings, clock: Clock) -> Mailer:
        server = settings.smtp_server
        if server is None:
            return OutboxMailer(settings.outbox, settings.mail_from, clock)
        return SmtpMailer(server, settings.mail_from, settings.mail_timeout)

    @provide
    async def delivery(
        self, mailer: Mailer, settings: Settings
    ) -> AsyncIterator[BackgroundMailDelivery]:
        delivery = BackgroundMailDelivery(mailer, settings.mail_delivery_policy)
        yield delivery
        await delivery.close(settings.mail_shutdown_grace)

    outgoing_mail = alias(source=BackgroundMailDelivery, provides=OutgoingMail)

    @provide
    async def password_reset_requests(
        self, container: AsyncContainer, delivery: BackgroundMailDelivery, settings: Settings
    ) -> AsyncIterator[PasswordResetRequests]:
        # `delivery` is asked for only so that it is built first, and so closed after this.
        requests = BackgroundPasswordResets(container)
        yield requests
        await requests.close(settings.mail_shutdown_grace)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    transactions = provide(Transactions)
    throttle = provide(Throttle)
    identify_caller = provide(IdentifyCaller)
    authorize_access = provide(AuthorizeAccess)
    register_user = provide(RegisterUser)
    authenticate_user = provide(AuthenticateUser)
    refresh_session = provide(RefreshSession)
    sign_out = provide(SignOut)
    purge_sessions = provide(PurgeSessions)
    create_administrator = provide(CreateAdministrator)
    one_time_tokens = provide(OneTimeTokens)
    request_password_reset = provide(RequestPasswordReset)
    send_password_reset = provide(SendPasswordReset)
    reset_password = provide(ResetPassword)
    verify_email = provide(VerifyEmail)
    resend_verification = provide(ResendVerification)
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
    check_readiness = provide(CheckReadiness)


class SqlStorageProvider(Provider):
    """MySQL, MariaDB or SQLite: one connection per request, opened only if the request needs it,
    every call under the request's deadline."""

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            deadline=settings.db_deadline,
            causal_reads=settings.db_causal_reads,
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
    user_reader = provide(SqlAlchemyUserReader, provides=UserReader, scope=Scope.REQUEST)
    sessions = provide(SqlAlchemySessionStore, provides=SessionStore, scope=Scope.REQUEST)
    one_time_tokens = provide(
        SqlAlchemyOneTimeTokenStore, provides=OneTimeTokenStore, scope=Scope.REQUEST
    )
    attempts = provide(SqlAlchemyAttemptCounter, provides=AttemptCounter, scope=Scope.REQUEST)
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
        async with asyncmy_pool(
            url, settings.db_pool_size, settings.db_deadline, causal_reads=settings.db_causal_reads
        ) as pool:
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
    user_reader = provide(InMemoryUserReader, provides=UserReader, scope=Scope.REQUEST)
    principals = provide(InMemoryPrincipalFinder, provides=PrincipalFinder, scope=Scope.REQUEST)
    sessions = provide(InMemorySessionStore, provides=SessionStore, scope=Scope.REQUEST)
    one_time_tokens = provide(
        InMemoryOneTimeTokenStore, provides=OneTimeTokenStore, scope=Scope.REQUEST
    )
    attempts = provide(InMemoryAttemptCounter, provides=AttemptCounter, scope=Scope.REQUEST)

    audit_trail = provide(InMemoryAuditTrail, provides=AuditTrail, scope=Scope.REQUEST)


class RedisAttemptsProvider(Provider):
    """Rate-limit tallies in Redis instead of the main storage (REDIS_URL). While Redis is down
    the limits are not applied rather than signins refused (see README)."""

    scope = Scope.APP

    @provide
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = create_redis(settings.redis_url, timeout=min(REDIS_TIMEOUT, settings.db_deadline))
        yield client
        await client.aclose()

    @provide
    def attempts(self, client: Redis) -> AttemptCounter:
        return FailOpenAttemptCounter(RedisAttemptCounter(client))


# Every Redis call a request makes waits at most this long (seconds): the limits fail open, so
# a stalled Redis costs each request this much at most, twice.
REDIS_TIMEOUT = 0.5


def storage_provider(settings: Settings) -> Provider:
    if settings.uses_memory_storage:
        return InMemoryStorageProvider()
    if async_url(settings.database_url).get_backend_name() in ("mysql", "mariadb"):
        return MySqlStorageProvider()
    return SqliteStorageProvider()


def build_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """The one composition root. Tests pass providers that override a port (a fake clock)."""
    attempts = [RedisAttemptsProvider()] if settings.redis_url else []
    return make_async_container(
        CoreProvider(),
        MailProvider(),
        UseCaseProvider(),
        storage_provider(settings),
        *attempts,
        *overrides,
        context={Settings: settings},
    )
