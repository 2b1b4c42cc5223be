from dataclasses import dataclass

from application.common.errors import AccessTokenInvalid
from application.ports.passkeys import PasskeyStore
from application.ports.second_factors import SecondFactorStore
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from domain.user import User


@dataclass(frozen=True, slots=True)
class OwnAccount:
    user: User
    recovery_codes_left: int
    passkeys: int
    """How many passkeys the user has registered."""


class GetOwnAccount:
    """The signed-in caller's account, with how many recovery codes and passkeys they have."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        factors: SecondFactorStore,
        passkeys: PasskeyStore,
    ) -> None:
        self._identify = identify
        self._users = users
        self._factors = factors
        self._passkeys = passkeys

    async def execute(self) -> OwnAccount:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:  # deleted since the token was checked
            raise AccessTokenInvalid
        # Counted only for an account with a second factor: the others' answer costs no more.
        left = await self._factors.recovery_codes_left(user.id) if user.second_factor else 0
        passkeys = await self._passkeys.count_of_user(user.id)
        return OwnAccount(user=user, recovery_codes_left=left, passkeys=passkeys)
