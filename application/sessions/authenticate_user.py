from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import (
    AccountDisabled,
    EmailNotVerified,
    InvalidCredentials,
    TemporarilyUnavailable,
    TooManyAttempts,
)
from application.common.outcomes import SigninOutcome
from application.ports.access_tokens import AccessToken, AccessTokenIssuer
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.passwords import PasswordHasher
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import record_guess
from application.shared.rate_limits import SigninAttempts
from application.shared.session_policy import SessionPolicy, SigninRules
from application.shared.throttle import Reservation, Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.errors import InvalidField
from domain.session import RefreshToken, Session
from domain.user import User
from domain.values import PasswordHash, RawPassword, Username


@dataclass(frozen=True, slots=True)
class AuthenticateUserRequest:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AuthenticateUserResponse:
    user: User
    access_token: AccessToken
    refresh_token: RefreshToken


class AuthenticateUser:
    """Signin: takes the attempt's places under the rate limits, then checks the password, and
    starts a session with its first refresh token."""

    def __init__(
        self,
        identify: IdentifyCaller,
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
        self._identify = identify
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
        attempts = self._throttle.policy.signin(request.username, self._identify.client)
        try:
            # Counted before the hash, committed at once: of a burst of guesses at one account,
            # only as many as the limits allow get this far.
            reservation = await self._throttle.reserve(
                attempts.all, self._transactions, may_give_back=True
            )
        except TooManyAttempts:
            # No look-up, no hash: a throttled attempt costs the reservation's step alone.
            self._metrics.signin(SigninOutcome.THROTTLED)
            raise
        try:
            user = await self._find(request.username)
            # Verified even for an unknown user, so timing does not tell which accounts exist.
            hash_ = user.password_hash if user else None
            matches = await self._hasher.verify(request.password, hash_)
        except TemporarilyUnavailable:
            # No password was checked (no hashing slot came free, the database failed): the
            # attempt was no guess, and gives its places back if the storage lets it.
            await self._throttle.release_alone(reservation, self._transactions, unchecked=True)
            raise
        if user is None or not matches:
            self._metrics.signin(SigninOutcome.FAILURE)
            reason = "wrong password" if user else "unknown user"
            await self._transactions.run(
                lambda: self._record_guess(self._identify.client, user, reason, reservation)
            )
            raise InvalidCredentials
        if user.disabled:
            # Only now, after the right password: a guesser learns nothing from it. Not counted,
            # as a right password never is.
            self._metrics.signin(SigninOutcome.DISABLED)
            await self._transactions.run(
                lambda: self._refused(self._identify.client, user, "account disabled", reservation)
            )
            raise AccountDisabled
        if self._rules.require_verified_email and not user.email_verified:
            self._metrics.signin(SigninOutcome.UNVERIFIED)
            await self._throttle.release_alone(reservation, self._transactions)
            raise EmailNotVerified
        try:
            rehashed = await self._rehashed(user, request.password)
        except TemporarilyUnavailable:
            await self._throttle.release_alone(reservation, self._transactions, unchecked=True)
            raise
        response = await self._transactions.run(
            lambda: self._start_session(
                user, rehashed, attempts, reservation, self._identify.client
            )
        )
        self._metrics.signin(SigninOutcome.SUCCESS)
        return response

    async def _record_guess(
        self, client: Client, user: User | None, reason: str, reservation: Reservation
    ) -> None:
        await self._throttle.resolve(reservation)
        await record_guess(self._audit, client, user, reason, reservation, actor_id=None)

    async def _refused(
        self, client: Client, user: User, reason: str, reservation: Reservation
    ) -> None:
        await self._throttle.release(reservation, reservation.attempts)
        await self._audit.record(
            AuditEventType.SIGNIN_FAILURE,
            client,
            user_id=user.id,
            actor_id=None,
            detail={"reason": reason},
        )

    async def _start_session(
        self,
        user: User,
        rehashed: PasswordHash | None,
        attempts: SigninAttempts,
        reservation: Reservation,
        client: Client,
    ) -> AuthenticateUserResponse:
        if rehashed is not None:
            await self._users.set_password_hash(user.id, rehashed)
        # A success is no failure: it forgives the failures of the account from this address,
        # and gives back its places on the address and the account, so that many signins from
        # one address (a NAT, an office) are not taken for guessing.
        await self._throttle.release(
            reservation, (attempts.address, attempts.account), forget=(attempts.account_address,)
        )
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
        # The account's row first: the session's foreign key would otherwise take a shared lock
        # on it, and two signins of one account, each holding that and asking for the row to
        # write, would deadlock.
        await self._users.record_signin(user.id, now)
        await self._sessions.start(session, record)
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
