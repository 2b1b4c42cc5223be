"""Checking a second-factor code: a TOTP code or a recovery code, used up by the storage's
conditional write when it is right, under the account's signin limits when it is wrong."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from application.common.client import Client
from application.common.errors import SecondFactorCodeInvalid, SecondFactorCodeRequired
from application.common.outcomes import SigninOutcome
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.second_factors import SecondFactorStore, SecretSealer, TotpAlgorithm
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import record_guess
from application.shared.throttle import Reservation, Throttle
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.second_factor import (
    SecondFactorMethod,
    TotpFactor,
    candidate_steps,
    looks_like_totp,
    matching_step,
    normalize_recovery_code,
)
from domain.user import User

_T = TypeVar("_T")
logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class SecondFactorCode:
    """What a client sent as its second factor: a TOTP code or a recovery code."""

    totp: str | None = field(default=None, repr=False)
    recovery_code: str | None = field(default=None, repr=False)

    @classmethod
    def either(cls, code: str | None) -> "SecondFactorCode":
        """One field that takes both (a step-up's `code`): six digits are a TOTP code, anything
        else a recovery code."""
        if code is None:
            return cls()
        if looks_like_totp(code.strip().replace(" ", "")):
            return cls(totp=code)
        return cls(recovery_code=code)

    @property
    def given(self) -> bool:
        return bool(self.totp) or bool(self.recovery_code)


class SecondFactorCheck:
    def __init__(
        self,
        factors: SecondFactorStore,
        totp: TotpAlgorithm,
        sealer: SecretSealer,
        clock: Clock,
        identify: IdentifyCaller,
        throttle: Throttle,
        transactions: Transactions,
        audit: AuditLog,
        metrics: Metrics,
    ) -> None:
        self._factors = factors
        self._totp = totp
        self._sealer = sealer
        self._clock = clock
        self._identify = identify
        self._throttle = throttle
        self._transactions = transactions
        self._audit = audit
        self._metrics = metrics

    async def accept(self, user: User, code: SecondFactorCode) -> SecondFactorMethod | None:
        """Uses the code up if it is the user's and unused, and says which kind it was; None
        otherwise. Inside the caller's unit of work, which holds the use until it commits."""
        if code.recovery_code:
            return await self._accept_recovery_code(user, code.recovery_code)
        if not code.totp:
            return None
        factor = await self._factors.find(user.id)
        if factor is None or not factor.confirmed:
            return None
        step = self.matching_step(factor, code.totp)
        if step is None or not await self._factors.use_step(user.id, step):
            return None
        return SecondFactorMethod.TOTP

    def matching_step(self, factor: TotpFactor, code: str) -> int | None:
        """The step, not used yet and in the accepted window now, whose code `code` is."""
        try:
            secret = self._sealer.unseal(factor.sealed_secret, factor.user_id)
        except ValueError:
            # Sealed under another JWT_SECRET: no code can match until an administrator resets
            # the factor.
            logger.warning("the TOTP secret of user %s cannot be unsealed", factor.user_id)
            return None
        steps = candidate_steps(self._clock.now(), factor.last_used_step)
        return matching_step(code, {step: self._totp.code_at(secret, step) for step in steps})

    async def _accept_recovery_code(self, user: User, text: str) -> SecondFactorMethod | None:
        normalized = normalize_recovery_code(text)
        if normalized is None:
            return None
        digest = self._sealer.recovery_code_digest(normalized, user.id)
        if not await self._factors.use_recovery_code(user.id, digest):
            return None
        left = await self._factors.recovery_codes_left(user.id)
        await self._audit.record(
            AuditEventType.MFA_RECOVERY_CODE,
            self._identify.client,
            user_id=user.id,
            actor_id=user.id,
            detail={"codesLeft": left},
        )
        return SecondFactorMethod.RECOVERY_CODE

    async def refused(self, user: User, reservation: Reservation, client: Client) -> None:
        """A wrong code is a failed signin: counted, and recorded as `mfa.failure`. In a unit of
        work of its own."""
        self._metrics.signin(SigninOutcome.FAILURE)

        async def record() -> None:
            await self._throttle.resolve(reservation)
            await record_guess(
                self._audit,
                client,
                user,
                "wrong second-factor code",
                reservation,
                actor_id=None,
                kind=AuditEventType.MFA_FAILURE,
            )

        await self._transactions.run(record)

    def demand(self, user: User, code: SecondFactorCode) -> None:
        """Raises SecondFactorCodeRequired if the user has a second factor and no code came:
        before any password is checked."""
        if user.second_factor and not code.given:
            raise SecondFactorCodeRequired

    async def step_up(
        self, user: User, code: SecondFactorCode, then: Callable[[], Awaitable[_T]]
    ) -> _T:
        """Runs `then` if the user has no second factor, or if `code` is a right one, used up
        first; raises SecondFactorCodeRequired or SecondFactorCodeInvalid otherwise. A code is
        tried under the account's signin limits, as a password is (TooManyAttempts)."""
        if not user.second_factor:
            return await then()
        self.demand(user, code)
        client = self._identify.client
        attempts = self._throttle.policy.signin(user.username.value, client)
        reservation = await self._throttle.reserve(
            attempts.all, self._transactions, may_give_back=True
        )
        if await self._transactions.run(lambda: self.accept(user, code)) is None:
            await self.refused(user, reservation, client)
            raise SecondFactorCodeInvalid
        try:
            return await then()
        finally:
            await self._throttle.release_alone(reservation, self._transactions, unchecked=True)
