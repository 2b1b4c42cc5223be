"""Stateless services every feature leans on, built once per process; the settings enter as the
container's context, whole and section by section."""

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from dishka import Provider, Scope, from_context, provide

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.clock import SystemClock
from adapters.common_passwords import ZxcvbnCommonPasswords
from adapters.prometheus_metrics import PrometheusMetrics
from adapters.refresh_tokens import HmacRefreshTokenSuccession
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.sessions import RefreshTokenSuccession
from entrypoints.settings import (
    DatabaseSettings,
    EdgeSettings,
    KeySettings,
    LimitSettings,
    MailSettings,
    MfaSettings,
    PasskeySettings,
    ServerSettings,
    Settings,
    TokenSettings,
)


def hashing_threads(server: ServerSettings, tokens: TokenSettings) -> int:
    """BCRYPT_THREADS, or the cores shared among the workers: more would only queue."""
    return tokens.bcrypt_threads or max(1, (os.cpu_count() or 1) // server.workers)


class CoreProvider(Provider):
    scope = Scope.APP

    settings = from_context(provides=Settings, scope=Scope.APP)
    server = from_context(provides=ServerSettings, scope=Scope.APP)
    database = from_context(provides=DatabaseSettings, scope=Scope.APP)
    tokens = from_context(provides=TokenSettings, scope=Scope.APP)
    mail = from_context(provides=MailSettings, scope=Scope.APP)
    limits = from_context(provides=LimitSettings, scope=Scope.APP)
    edge = from_context(provides=EdgeSettings, scope=Scope.APP)
    keys = from_context(provides=KeySettings, scope=Scope.APP)
    mfa = from_context(provides=MfaSettings, scope=Scope.APP)
    passkeys = from_context(provides=PasskeySettings, scope=Scope.APP)

    clock = provide(SystemClock, provides=Clock)
    metrics = provide(PrometheusMetrics, provides=Metrics)
    common_passwords = provide(ZxcvbnCommonPasswords, provides=CommonPasswords)

    @provide
    def password_hasher(
        self, server: ServerSettings, tokens: TokenSettings, metrics: Metrics
    ) -> Iterator[PasswordHasher]:
        threads = hashing_threads(server, tokens)
        executor = ThreadPoolExecutor(threads, thread_name_prefix="bcrypt")
        yield BcryptPasswordHasher(
            tokens.bcrypt_cost,
            executor,
            slots=threads,
            queue_timeout=tokens.hash_queue_timeout,
            metrics=metrics,
        )
        executor.shutdown(wait=True)

    @provide
    def refresh_token_succession(self, tokens: TokenSettings) -> RefreshTokenSuccession:
        return HmacRefreshTokenSuccession(tokens.jwt_secret)
