from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import (
    AccessTokenInvalid,
    CurrentPasswordIncorrect,
    TemporarilyUnavailable,
)
from application.common.outcomes import SigninOutcome
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.passwords import CommonPasswords, PasswordHasher
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.passwords import refuse_common
from application.shared.throttle import Reservation, Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.errors import InvalidField
from domain.user import User
from domain.values import PasswordHash, RawPassword


@dataclass(frozen=True, slots=True)
class ChangePasswordRequest:
    current_password: str = field(repr=False)
    new_password: str = field(repr=False)


class ChangePassword:
    """A new password for the signed-in caller. Every other session of the caller ends in the
    same unit of work, so a session that stole the old password cannot outlive the change; the
    session that asked stays."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        hasher: PasswordHasher,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
        metrics: Metrics,
        throttle: Throttle,
        common_passwords: CommonPasswords,
    ) -> None:
        self._throttle = throttle
        self._common_passwords = common_passwords
        self._identify = identify
        self._users = users
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._audit = audit
        self._metrics = metrics

    async def execute(self, request: ChangePasswordRequest) -> int:
        """How many other sessions ended."""
        caller = await self._identify()
        new_password = _new_password(request.new_password)
        refuse_common(new_password, self._common_passwords)
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        # Guessing the current password through a stolen session is guessing a password: the
        # signin limits hold here too, their places taken before any hash, so that a burst of
        # guesses gets no further than a signin's would.
        attempts = self._throttle.policy.signin(user.username.value, self._identify.client)
        reservation = await self._throttle.reserve(attempts.all, self._transactions)
        try:
            matches = await self._hasher.verify(request.current_password, user.password_hash)
            new_hash = await self._hasher.hash(new_password) if matches else None
        except TemporarilyUnavailable:
            # No hashing slot came free: no guess was checked, and the places are given back.
            await self._throttle.release_alone(reservation, self._transactions, unchecked=True)
            raise
        if new_hash is None:
            # Counted already, by the reservation.
            await self._transactions.run(lambda: self._wrong_password(user, self._identify.client))
            raise CurrentPasswordIncorrect
        return await self._transactions.run(
            lambda: self._change(
                user, caller.session_id, new_hash, self._identify.client, reservation
            )
        )

    async def _change(
        self,
        user: User,
        current_session: str,
        new_hash: PasswordHash,
        client: Client,
        reservation: Reservation,
    ) -> int:
        # The right password is no failure: the places are given back (the failures before it
        # are not forgiven, as a signin's success would).
        await self._throttle.release(reservation, reservation.attempts)
        await self._users.set_password_hash(user.id, new_hash)
        ended = await self._sessions.revoke_all_of_user(
            user.id, self._clock.now(), keep=current_session
        )
        await self._audit.record(
            AuditEventType.PASSWORD_CHANGE,
            client,
            user_id=user.id,
            actor_id=user.id,
            detail={"sessionsEnded": ended},
        )
        return ended

    async def _wrong_password(self, user: User, client: Client) -> None:
        """A wrong current password is a failed signin: whoever holds the session may be
        guessing."""
        self._metrics.signin(SigninOutcome.FAILURE)
        await self._audit.record(
            AuditEventType.SIGNIN_FAILURE,
            client,
            user_id=user.id,
            actor_id=user.id,
            detail={"reason": "wrong current password"},
        )


def _new_password(value: str) -> RawPassword:
    try:
        return RawPassword(value)
    except InvalidField as error:
        raise InvalidField("newPassword", error.reason) from None
