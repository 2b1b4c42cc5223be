from dataclasses import dataclass, field

from application.common.errors import (
    AccessTokenInvalid,
    SecondFactorAlreadyEnabled,
    SecondFactorCodeInvalid,
)
from application.mfa.recovery_codes import issue_recovery_codes
from application.ports.clock import Clock
from application.ports.second_factors import SecondFactorStore, SecretSealer
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.second_factor_checks import SecondFactorCheck
from application.shared.transactions import Transactions
from domain.audit import AuditEventType
from domain.user import User


@dataclass(frozen=True, slots=True)
class ConfirmTotpRequest:
    code: str = field(repr=False)


class ConfirmTotp:
    """A code made from the pending secret turns two-factor on, and brings the first recovery
    codes. Its step counts as used: the same code cannot then sign in."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        factors: SecondFactorStore,
        sealer: SecretSealer,
        check: SecondFactorCheck,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._users = users
        self._factors = factors
        self._sealer = sealer
        self._check = check
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: ConfirmTotpRequest) -> list[str]:
        """The recovery codes, to be shown once."""
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        if user.second_factor:
            raise SecondFactorAlreadyEnabled
        return await self._transactions.run(lambda: self._confirm(user, request.code))

    async def _confirm(self, user: User, code: str) -> list[str]:
        factor = await self._factors.find(user.id)
        if factor is None or factor.confirmed:
            raise SecondFactorCodeInvalid
        step = self._check.matching_step(factor, code)
        if step is None or not await self._factors.confirm(user.id, step, self._clock.now()):
            raise SecondFactorCodeInvalid
        codes = await issue_recovery_codes(self._factors, self._sealer, user.id)
        await self._audit.record(
            AuditEventType.MFA_ENABLE,
            self._identify.client,
            user_id=user.id,
            actor_id=user.id,
            detail={"method": "totp"},
        )
        return codes
