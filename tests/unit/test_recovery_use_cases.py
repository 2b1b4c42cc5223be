"""The recovery use cases on in-memory storage with fakes that watch the order of things: mail is
posted only after its transaction committed, and a made-up reset token costs no hashing.

Self-contained (no fixtures from conftest), so it also runs with `pytest --noconftest`."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from adapters.common_passwords import ZxcvbnCommonPasswords
from adapters.jwt_tokens import JwtAccessTokens
from adapters.memory import (
    InMemoryAttemptCounter,
    InMemoryAuditTrail,
    InMemoryOneTimeTokenStore,
    InMemoryPasskeyStore,
    InMemoryPrincipalFinder,
    InMemorySessionStore,
    InMemoryStorage,
    InMemoryUnitOfWork,
    InMemoryUserRepository,
)
from application.accounts.register_user import RegisterUser, RegisterUserRequest
from application.common.errors import OneTimeTokenInvalid
from application.ports.mail import MailMessage, OutgoingMail
from application.ports.passwords import PasswordHasher
from application.recovery.request_password_reset import SendPasswordReset
from application.recovery.reset_password import ResetPassword, ResetPasswordRequest
from application.shared.administrator_second_factor import (
    AdministratorRules,
    RequireAdministratorSecondFactor,
)
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import NOBODY, IdentifyCaller
from application.shared.one_time_tokens import OneTimeTokens, TokenPolicy
from application.shared.throttle import ReservationQueue, Throttle
from application.shared.transactions import RetryPolicy, Transactions
from domain.values import Email, PasswordHash, RawPassword
from entrypoints.ioc.shared import rate_limit_policy
from entrypoints.settings import LimitSettings, TokenSettings
from tests.fakes import CountingMetrics, FakeClock

SECRET = b"unit tests of recovery sign with this HS256 secret"
POLICY = TokenPolicy(
    password_reset_lifetime=timedelta(minutes=30),
    email_verification_lifetime=timedelta(hours=24),
    password_reset_url="http://localhost:8081/reset-password?token={token}",
    email_verification_url="http://localhost:8081/verify-email?token={token}",
)


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        self.hashed = 0

    async def hash(self, password: RawPassword) -> PasswordHash:
        self.hashed += 1
        return PasswordHash(f"plain:{password.value}")

    async def verify(self, password: str, stored: PasswordHash | None) -> bool:
        return stored is not None and stored.value == f"plain:{password}"

    def needs_rehash(self, stored: PasswordHash) -> bool:
        return False


@dataclass
class WatchingMail(OutgoingMail):
    """Records each posted message with how many commits had happened by then."""

    uow: InMemoryUnitOfWork
    posted: list[tuple[MailMessage, int]] = field(default_factory=list)

    def post(self, message: MailMessage) -> None:
        self.posted.append((message, self.uow.commits))


@dataclass
class Recovery:
    storage: InMemoryStorage = field(default_factory=InMemoryStorage)
    uow: InMemoryUnitOfWork = field(default_factory=InMemoryUnitOfWork)
    hasher: CountingHasher = field(default_factory=CountingHasher)

    def __post_init__(self) -> None:
        clock = FakeClock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
        self.users = InMemoryUserRepository(self.storage)
        self.tokens = OneTimeTokens(
            InMemoryOneTimeTokenStore(self.storage), self.users, clock, POLICY
        )
        self.mail = WatchingMail(self.uow)
        transactions = Transactions(self.uow, RetryPolicy(attempts=1, backoff=timedelta()))
        identify = IdentifyCaller(
            NOBODY,
            JwtAccessTokens(SECRET, timedelta(hours=1), clock),
            InMemoryPrincipalFinder(self.storage),
            clock,
        )
        # Rate limits off: these tests are about tokens and mail, not throttling.
        throttle = Throttle(
            InMemoryAttemptCounter(self.storage),
            rate_limit_policy(LimitSettings(enabled=False), TokenSettings()),
            clock,
            CountingMetrics(),
            ReservationQueue(),
        )
        common_passwords = ZxcvbnCommonPasswords()
        self.register = RegisterUser(
            self.users,
            self.hasher,
            identify,
            clock,
            transactions,
            self.tokens,
            self.mail,
            throttle,
            common_passwords,
            AuditLog(InMemoryAuditTrail(self.storage), clock, transactions),
            RequireAdministratorSecondFactor(
                self.users, InMemoryPasskeyStore(self.storage), AdministratorRules(False)
            ),
        )
        self.send_reset = SendPasswordReset(self.users, self.tokens, transactions, self.mail)
        self.reset = ResetPassword(
            identify,
            self.tokens,
            self.users,
            InMemorySessionStore(self.storage),
            self.hasher,
            clock,
            transactions,
            common_passwords,
            AuditLog(InMemoryAuditTrail(self.storage), clock, transactions),
        )


@pytest.fixture
def recovery() -> Recovery:
    return Recovery()


async def test_signup_posts_its_verification_mail_only_after_committing(
    recovery: Recovery,
) -> None:
    await recovery.register.execute(
        RegisterUserRequest("alice", "alice@example.com", "correct horse battery")
    )

    [(mail, commits_by_then)] = recovery.mail.posted
    assert mail.subject == "Verify your email address"
    assert commits_by_then == 1


async def test_a_reset_request_posts_a_mail_after_committing_and_none_for_a_stranger(
    recovery: Recovery,
) -> None:
    await recovery.register.execute(
        RegisterUserRequest("alice", "alice@example.com", "correct horse battery")
    )

    assert await recovery.send_reset.execute(Email("nobody@example.com")) is False
    assert await recovery.send_reset.execute(Email("Alice@Example.com")) is True

    mail, commits_by_then = recovery.mail.posted[-1]
    assert (mail.to, mail.subject) == ("alice@example.com", "Reset your password")
    assert commits_by_then == recovery.uow.commits
    assert len(recovery.mail.posted) == 2


async def test_a_made_up_reset_token_costs_no_password_hashing(recovery: Recovery) -> None:
    with pytest.raises(OneTimeTokenInvalid):
        await recovery.reset.execute(ResetPasswordRequest("made-up", "a brand new passphrase"))

    assert recovery.hasher.hashed == 0
