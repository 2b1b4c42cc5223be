"""Stateless services every feature leans on, built once per process; the settings enter as the
container's context, whole and section by section."""

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from dishka import Provider, Scope, from_context, provide

from adapters.bcrypt_hasher import BcryptPasswordHasher
from adapters.clock import SystemClock
from adapters.common_passwords import ZxcvbnCommonPasswords
from adapters.hashing_places import HashingPlaces
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

logger = logging.getLogger("authgate")

HASHING_PLACES_VARIABLE = "AUTHGATE_HASHING_PLACES"
"""The key of the hashing places the workers of one `authgate serve` share; set by it."""


def hashing_threads(tokens: TokenSettings) -> int:
    """BCRYPT_THREADS, or one per core: the kernel may hand one worker every connection, and that
    worker must still hash on every core. The workers' hashing places keep them, together, to
    one hash a core (`hashing_places`)."""
    return tokens.bcrypt_threads or (os.cpu_count() or 1)


def hashing_places() -> HashingPlaces | None:
    """The places `authgate serve` made for its workers (one a core); none in a process serving
    alone, or when they are gone (the worker's own hashing threads still bound it)."""
    key = os.environ.get(HASHING_PLACES_VARIABLE)
    if not key:
        return None
    places = HashingPlaces.attach(int(key)) if key.lstrip("-").isdigit() else None
    if places is None:
        logger.warning(
            "no hashing places under %s=%s: hashing without them", HASHING_PLACES_VARIABLE, key
        )
    return places


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
    def password_hasher(self, tokens: TokenSettings, metrics: Metrics) -> Iterator[PasswordHasher]:
        threads = hashing_threads(tokens)
        executor = ThreadPoolExecutor(threads, thread_name_prefix="bcrypt")
        yield BcryptPasswordHasher(
            tokens.bcrypt_cost,
            executor,
            slots=threads,
            queue_timeout=tokens.hash_queue_timeout,
            metrics=metrics,
            places=hashing_places(),
        )
        executor.shutdown(wait=True)

    @provide
    def refresh_token_succession(self, tokens: TokenSettings) -> RefreshTokenSuccession:
        return HmacRefreshTokenSuccession(tokens.jwt_secret)
