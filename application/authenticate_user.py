from dataclasses import dataclass, field

from application.audit_log import AuditLog
from application.client import UNKNOWN_CLIENT, Client
from application.errors import AccountDisabled, InvalidCredentials
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
from application.session_policy import SessionPolicy
from application.transactions import Transactions
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
class AuthenticateUserResponse:
    user: User
    access_token: AccessToken
    refresh_token: RefreshToken


class AuthenticateUser:
    """Signin: checks the password and starts a session with its first refresh token."""

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
        self._audit = audit

    async def execute(self, request: AuthenticateUserRequest) -> AuthenticateUserResponse:
        user = await self._find(request.username)
        # Verified even for an unknown user, so timing does not tell which accounts exist.
        matches = await self._hasher.verify(request.password, user.password_hash if user else None)
        if user is None or not matches:
            self._metrics.signin(SigninOutcome.FAILURE)
            await self._failed(request.client, user, "wrong password" if user else "unknown user")
            raise InvalidCredentials
        if user.disabled:
            # Only now, after the right password: a guesser learns nothing from it.
            self._metrics.signin(SigninOutcome.DISABLED)
            await self._failed(request.client, user, "account disabled")
            raise AccountDisabled
        rehashed = await self._rehashed(user, request.password)
        response = await self._transactions.run(
            lambda: self._start_session(user, rehashed, request.client)
        )
        self._metrics.signin(SigninOutcome.SUCCESS)
        return response

    async def _failed(self, client: Client, user: User | None, reason: str) -> None:
        # The name tried is not kept for an unknown user: it may be a password typed in the
        # wrong field.
        await self._audit.record_alone(
            AuditEventType.SIGNIN_FAILURE,
            client,
            user_id=user.id if user else None,
            actor_id=None,
            detail={"reason": reason},
        )

    async def _start_session(
        self, user: User, rehashed: PasswordHash | None, client: Client
    ) -> AuthenticateUserResponse:
        if rehashed is not None:
            await self._users.set_password_hash(user.id, rehashed)
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
