"""REQUIRE_ADMIN_MFA: whoever administers must have a second factor (TOTP, or a passkey), so
that a stolen password alone never reaches the administration."""

from dataclasses import dataclass

from application.common.errors import AdministratorSecondFactorRequired
from application.ports.passkeys import PasskeyStore
from application.ports.users import UserRepository


@dataclass(frozen=True, slots=True)
class AdministratorRules:
    require_second_factor: bool
    """REQUIRE_ADMIN_MFA."""


class RequireAdministratorSecondFactor:
    def __init__(
        self, users: UserRepository, passkeys: PasskeyStore, rules: AdministratorRules
    ) -> None:
        self._users = users
        self._passkeys = passkeys
        self._rules = rules

    async def __call__(self, user_id: int) -> None:
        """Raises AdministratorSecondFactorRequired when the rule is on and the administrator
        `user_id` has no second factor: no TOTP and no passkey. Off, it reads nothing."""
        if not self._rules.require_second_factor:
            return
        user = await self._users.get(user_id)
        if user is None:
            raise AdministratorSecondFactorRequired
        if not user.second_factor and not await self._passkeys.count_of_user(user_id):
            raise AdministratorSecondFactorRequired
