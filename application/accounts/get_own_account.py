from dataclasses import dataclass

from application.common.errors import AccessTokenInvalid
from application.ports.passkeys import PasskeyStore
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from domain.user import User


@dataclass(frozen=True, slots=True)
class OwnAccount:
    user: User
    passkeys: int
    """How many passkeys the user has registered."""


class GetOwnAccount:
    """The signed-in caller's account."""

    def __init__(
        self, identify: IdentifyCaller, users: UserRepository, passkeys: PasskeyStore
    ) -> None:
        self._identify = identify
        self._users = users
        self._passkeys = passkeys

    async def execute(self) -> OwnAccount:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:  # deleted since the token was checked
            raise AccessTokenInvalid
        return OwnAccount(user, await self._passkeys.count_of_user(user.id))
