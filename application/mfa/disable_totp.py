from dataclasses import dataclass, field

from application.mfa.guarded_change import GuardedChange
from application.ports.second_factors import SecondFactorStore
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from domain.audit import AuditEventType
from domain.user import User


@dataclass(frozen=True, slots=True)
class DisableTotpRequest:
    password: str = field(repr=False)
    code: str | None = field(default=None, repr=False)


class DisableTotp:
    """The caller turns two-factor off, with their password and a code; the recovery codes go
    with it."""

    def __init__(
        self,
        guarded: GuardedChange,
        factors: SecondFactorStore,
        identify: IdentifyCaller,
        audit: AuditLog,
    ) -> None:
        self._guarded = guarded
        self._factors = factors
        self._identify = identify
        self._audit = audit

    async def execute(self, request: DisableTotpRequest) -> None:
        await self._guarded(
            request.password, request.code, "wrong password to disable two-factor", self._disable
        )

    async def _disable(self, user: User) -> None:
        if await self._factors.remove(user.id):
            await self._audit.record(
                AuditEventType.MFA_DISABLE,
                self._identify.client,
                user_id=user.id,
                actor_id=user.id,
            )
