from dataclasses import dataclass

from application.common.errors import AccessTokenInvalid
from application.ports.second_factors import SecondFactorStore
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from domain.user import User


@dataclass(frozen=True, slots=True)
class OwnAccount:
    user: User
    recovery_codes_left: int


class GetOwnAccount:
    """The signed-in caller's account, with how many recovery codes they have left."""

    def __init__(
        self, identify: IdentifyCaller, users: UserRepository, factors: SecondFactorStore
    ) -> None:
        self._identify = identify
        self._users = users
        self._factors = factors

    async def execute(self) -> OwnAccount:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:  # deleted since the token was checked
            raise AccessTokenInvalid
        # Counted only for an account with a second factor: the others' answer costs no more.
        left = await self._factors.recovery_codes_left(user.id) if user.second_factor else 0
        return OwnAccount(user=user, recovery_codes_left=left)
