from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.audit_log import AuditLog
from application.client import UNKNOWN_CLIENT, Client
from application.errors import (
    AccountDisabled,
    EmailNotVerified,
    InvalidCredentials,
    TooManyAttempts,
)
from application.outcomes import SigninOutcome
from application.ports import (
    AccessToken,
    AccessTokenIssuer,
    Clock,
    Metrics,
    PasswordHasher,
    SessionStore,
    UserRepository,
)
from application.rate_limits import Attempt
from application.session_policy import SessionPolicy
from application.throttle import Throttle
from application.transactions import Transactions
from domain.attempts import Tally
from domain.audit import AuditEventType
from domain.errors import InvalidField
from domain.session import RefreshToken, Session
from domain.user import User
from domain.values import PasswordHash, RawPassword, Username


@dataclass(frozen=True, slots=True)
class AuthenticateUserRequest:
    username: str
    password: str = field(repr=False)
    client: Client = UNKNOWN_CLIENT


@dataclass(frozen=True, slots=True)
class SigninRules:
    require_verified_email: bool
    """Whether signin needs a verified address (REQUIRE_VERIFIED_EMAIL)."""


@dataclass(frozen=True, slots=True)
class AuthenticateUserResponse:
    user: User
    access_token: AccessToken
    refresh_token: RefreshToken


class AuthenticateUser:
    """Signin: checks the rate limits, then the password, and starts a session with its first
    refresh token."""

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        sessions: SessionStore,
        issuer: AccessTokenIssuer,
        clock: Clock,
        policy: SessionPolicy,
        transactions: Transactions,
        metrics: Metrics,
        rules: SigninRules,
        throttle: Throttle,
        audit: AuditLog,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._sessions = sessions
        self._issuer = issuer
        self._clock = clock
        self._policy = policy
        self._transactions = transactions
        self._metrics = metrics
        self._rules = rules
        self._throttle = throttle
        self._audit = audit

    async def execute(self, request: AuthenticateUserRequest) -> AuthenticateUserResponse:
        attempts = self._throttle.policy.signin(request.username, request.client)
        try:
            tallies = await self._throttle.check(attempts.all)
        except TooManyAttempts:
            # No look-up, no hash, no write: a throttled attempt costs the check alone.
            self._metrics.signin(SigninOutcome.THROTTLED)
            raise
        user = await self._find(request.username)
        # Verified even for an unknown user, so timing does not tell which accounts exist.
        matches = await self._hasher.verify(request.password, user.password_hash if user else None)
        if user is None or not matches:
            self._metrics.signin(SigninOutcome.FAILURE)
            reason = "wrong password" if user else "unknown user"
            await self._transactions.run(
                lambda: self._count_failure(request.client, user, reason, attempts.all, tallies)
            )
            raise InvalidCredentials
        if user.disabled:
            # Only now, after the right password: a guesser learns nothing from it.
            self._metrics.signin(SigninOutcome.DISABLED)
            await self._transactions.run(
                lambda: self._record_failure(request.client, user, "account disabled")
            )
            raise AccountDisabled
        if self._rules.require_verified_email and not user.email_verified:
            self._metrics.signin(SigninOutcome.UNVERIFIED)
            raise EmailNotVerified
        rehashed = await self._rehashed(user, request.password)
        # Only a pair with failures on record has anything to forgive: most signins write nothing.
        forgiven = attempts.account_address if attempts.account_address.key in tallies else None
        response = await self._transactions.run(
            lambda: self._start_session(user, rehashed, forgiven, request.client)
        )
        self._metrics.signin(SigninOutcome.SUCCESS)
        return response

    async def _count_failure(
        self,
        client: Client,
        user: User | None,
        reason: str,
        attempts: Sequence[Attempt],
        tallies: Mapping[str, Tally],
    ) -> None:
        """The failure is counted and recorded; a limit this failure makes hold is recorded once,
        as `signin.throttled`, so that the attempts it then refuses need write nothing."""
        await self._throttle.count(attempts)
        await self._record_failure(client, user, reason)
        if not self._throttle.policy.enabled:
            return
        for limit in _limits_now_holding(attempts, tallies, self._clock.now()):
            await self._audit.record(
                AuditEventType.SIGNIN_THROTTLED,
                client,
                user_id=user.id if user else None,
                actor_id=None,
                detail={"limit": limit},
            )

    async def _record_failure(self, client: Client, user: User | None, reason: str) -> None:
        # The name tried is not kept for an unknown user: it may be a password typed in the
        # wrong field.
        await self._audit.record(
            AuditEventType.SIGNIN_FAILURE,
            client,
            user_id=user.id if user else None,
            actor_id=None,
            detail={"reason": reason},
        )

    async def _start_session(
        self,
        user: User,
        rehashed: PasswordHash | None,
        forgiven: Attempt | None,
        client: Client,
    ) -> AuthenticateUserResponse:
        if rehashed is not None:
            await self._users.set_password_hash(user.id, rehashed)
        if forgiven is not None:
            await self._throttle.clear(forgiven)
        now = self._clock.now()
        session = Session.begin(
            user.id,
            now,
            self._policy.session_lifetime,
            user_agent=client.user_agent,
            ip=client.address,
        )
        refresh_token, record = session.issue_refresh_token(
            now, self._policy.refresh_token_lifetime
        )
        await self._sessions.start(session, record)
        await self._users.record_signin(user.id, now)
        await self._audit.record(
            AuditEventType.SIGNIN_SUCCESS,
            client,
            user_id=user.id,
            actor_id=user.id,
            detail={"session": session.id},
        )
        return AuthenticateUserResponse(
            user=user,
            access_token=self._issuer.issue(user.id, session.id, now),
            refresh_token=refresh_token,
        )

    async def _find(self, username: str) -> User | None:
        try:
            return await self._users.find_by_username(Username(username))
        except InvalidField:
            return None

    async def _rehashed(self, user: User, password: str) -> PasswordHash | None:
        """A hash at today's parameters when the stored one was made with others."""
        if not self._hasher.needs_rehash(user.password_hash):
            return None
        try:
            raw = RawPassword(password)
        except InvalidField:
            # Stored before today's rules; the old hash keeps working until the user changes it.
            return None
        return await self._hasher.hash(raw)


def _limits_now_holding(
    attempts: Sequence[Attempt], tallies: Mapping[str, Tally], now: datetime
) -> list[str]:
    """The limits that did not hold before this failure and do after it."""
    return [
        a.limit.name
        for a in attempts
        if a.limit.wait(a.limit.counted(tallies.get(a.key), now), now) > timedelta(0)
    ]
