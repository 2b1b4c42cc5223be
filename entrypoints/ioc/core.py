"""Stateless services every feature leans on, built once per process; the settings enter as the
container's context."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from dishka import Provider, Scope, alias, from_context, provide

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.clock import SystemClock
from adapters.common_passwords import ZxcvbnCommonPasswords
from adapters.jwt_tokens import JwtAccessTokens
from adapters.prometheus_metrics import PrometheusMetrics
from adapters.refresh_tokens import HmacRefreshTokenSuccession
from application.ports.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.sessions import RefreshTokenSuccession
from entrypoints.settings import Settings


class CoreProvider(Provider):
    scope = Scope.APP

    settings = from_context(provides=Settings, scope=Scope.APP)

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
