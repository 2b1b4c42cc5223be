from dataclasses import dataclass, field

from application.mfa.guarded_change import GuardedChange
from application.mfa.recovery_codes import issue_recovery_codes
from application.ports.second_factors import SecondFactorStore, SecretSealer
from domain.user import User


@dataclass(frozen=True, slots=True)
class RegenerateRecoveryCodesRequest:
    password: str = field(repr=False)
    code: str | None = field(default=None, repr=False)


class RegenerateRecoveryCodes:
    """New recovery codes, with the password and a code; the old ones stop working."""

    def __init__(
        self, guarded: GuardedChange, factors: SecondFactorStore, sealer: SecretSealer
    ) -> None:
        self._guarded = guarded
        self._factors = factors
        self._sealer = sealer

    async def execute(self, request: RegenerateRecoveryCodesRequest) -> list[str]:
        return await self._guarded(
            request.password,
            request.code,
            "wrong password to renew recovery codes",
            self._renew,
        )

    async def _renew(self, user: User) -> list[str]:
        return await issue_recovery_codes(self._factors, self._sealer, user.id)
