from dataclasses import dataclass, field, replace

from application.common.client import Client
from application.common.errors import (
    AccountDisabled,
    EmailNotVerified,
    InvalidCredentials,
    TemporarilyUnavailable,
    TooManyAttempts,
)
from application.common.outcomes import SigninOutcome
from application.ports.metrics import Metrics
from application.ports.passwords import PasswordHasher
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import record_guess
from application.shared.second_factor_signins import SecondFactorSignins
from application.shared.session_policy import SigninRules
from application.shared.signins import SignedIn, StartSession
from application.shared.throttle import Reservation, Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.errors import InvalidField
from domain.second_factor import SecondFactorMethod, SigninMethod, SigninState, next_signin_state
from domain.user import User
from domain.values import PasswordHash, RawPassword, Username


@dataclass(frozen=True, slots=True)
class AuthenticateUserRequest:
    username: str
    password: str = field(repr=False)


AuthenticateUserResponse = SignedIn


class SecondFactorRequired(Exception):
    """The right password, for an account with a second factor: the signin goes on at its
    second step (`SignInWithSecondFactor`) with this mfaToken. No session was started. Raised,
    not returned, so that a caller that knows only one-step signins cannot mistake it for one."""

    methods = (SecondFactorMethod.TOTP, SecondFactorMethod.RECOVERY_CODE)

    def __init__(self, mfa_token: str) -> None:
        super().__init__("a second factor is required")
        self.mfa_token = mfa_token


class AuthenticateUser:
    """Signin: takes the attempt's places under the rate limits, then checks the password, and
    starts a session with its first refresh token; or, for an account with a second factor,
    raises SecondFactorRequired."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        hasher: PasswordHasher,
        transactions: Transactions,
        metrics: Metrics,
        rules: SigninRules,
        throttle: Throttle,
        audit: AuditLog,
        start_session: StartSession,
        second_factor_signins: SecondFactorSignins,
    ) -> None:
        self._identify = identify
        self._users = users
        self._hasher = hasher
        self._start_session = start_session
        self._second_factor_signins = second_factor_signins
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
        client = self._identify.client
        if next_signin_state(SigninState.AWAITING_PASSWORD, second_factor=user.second_factor) is (
            SigninState.AWAITING_SECOND_FACTOR
        ):
            mfa_token = await self._transactions.run(
                lambda: self._second_step(user, rehashed, reservation, client)
            )
            raise SecondFactorRequired(mfa_token)
        response = await self._transactions.run(
            lambda: self._start_session(
                user, SigninMethod.PASSWORD, attempts, reservation, client, rehashed
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

    async def _second_step(
        self,
        user: User,
        rehashed: PasswordHash | None,
        reservation: Reservation,
        client: Client,
    ) -> str:
        """The right password for an account with a second factor: no session yet, an mfaToken
        for the code. The password was no failure, so its places are given back; only a
        completed signin forgives the failures before it."""
        await self._throttle.release(reservation, reservation.attempts)
        if rehashed is not None:
            await self._users.set_password_hash(user.id, rehashed)
            # The token is bound to the password as it is now stored.
            user = replace(user, password_hash=rehashed)
        return await self._second_factor_signins.begin(user)

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
