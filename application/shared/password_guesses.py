"""Every request that checks a password is a guess at it: signin, and the requests of a signed-in
caller that ask for the password again (a password change, deleting the account, two-factor
enrolment). A wrong one counts as a failed signin, under the signin limits, and is recorded as
one; while those limits hold, even the right password is refused (429) before any hash."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.common.client import Client
from application.common.errors import CurrentPasswordIncorrect, TemporarilyUnavailable
from application.common.outcomes import SigninOutcome
from application.ports.metrics import Metrics
from application.ports.passwords import PasswordHasher
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.throttle import Reservation, Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.user import User

_T = TypeVar("_T")


async def record_guess(
    audit: AuditLog,
    client: Client,
    user: User | None,
    reason: str,
    reservation: Reservation,
    *,
    actor_id: int | None,
    kind: AuditEventType = AuditEventType.SIGNIN_FAILURE,
) -> None:
    """A wrong password, counted when its places were reserved, is recorded as a failed signin
    (a wrong second-factor code as `kind`, `mfa.failure`); a limit this failure made hold is
    recorded once, as `signin.throttled`, so that the attempts it then refuses need write
    nothing. Inside the caller's unit of work."""
    user_id = user.id if user else None
    # The name tried is not kept for an unknown user: it may be a password typed in the wrong
    # field.
    await audit.record(
        kind,
        client,
        user_id=user_id,
        actor_id=actor_id,
        detail={"reason": reason},
    )
    for limit in reservation.now_holding():
        await audit.record(
            AuditEventType.SIGNIN_THROTTLED,
            client,
            user_id=user_id,
            actor_id=None,
            detail={"limit": limit},
        )


class ConfirmPassword:
    """The signed-in caller's password, asked again before a change that needs it: checked under
    the account's signin limits, their places taken before any hash, so that whoever stole a
    session guesses no faster here than at signin."""

    def __init__(
        self,
        identify: IdentifyCaller,
        hasher: PasswordHasher,
        throttle: Throttle,
        transactions: Transactions,
        audit: AuditLog,
        metrics: Metrics,
    ) -> None:
        self._identify = identify
        self._hasher = hasher
        self._throttle = throttle
        self._transactions = transactions
        self._audit = audit
        self._metrics = metrics

    async def __call__(
        self, user: User, password: str, reason: str, then: Callable[[], Awaitable[_T]]
    ) -> _T:
        """Runs `then` if `password` is the user's; raises TooManyAttempts while the signin limits
        hold, and CurrentPasswordIncorrect, counted and recorded with `reason`, if it is not."""
        client = self._identify.client
        attempts = self._throttle.policy.signin(user.username.value, client)
        reservation = await self._throttle.reserve(
            attempts.all, self._transactions, may_give_back=True
        )
        try:
            matches = await self._hasher.verify(password, user.password_hash)
        except TemporarilyUnavailable:
            # No hashing slot came free: no guess was checked, and the places are given back.
            await self._throttle.release_alone(reservation, self._transactions, unchecked=True)
            raise
        if not matches:
            self._metrics.signin(SigninOutcome.FAILURE)
            await self._transactions.run(lambda: self._wrong(user, reason, client, reservation))
            raise CurrentPasswordIncorrect
        try:
            return await then()
        finally:
            # The right password is no failure, whatever the change then met: its places are
            # given back (the failures before it are not forgiven, as a signin's success would).
            await self._throttle.release_alone(reservation, self._transactions, unchecked=True)

    async def _wrong(
        self, user: User, reason: str, client: Client, reservation: Reservation
    ) -> None:
        await self._throttle.resolve(reservation)
        await record_guess(self._audit, client, user, reason, reservation, actor_id=user.id)
