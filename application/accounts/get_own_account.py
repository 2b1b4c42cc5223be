from application.common.errors import AccessTokenInvalid
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from domain.user import User


class GetOwnAccount:
    """The signed-in caller's account."""

    def __init__(self, identify: IdentifyCaller, users: UserRepository) -> None:
        self._identify = identify
        self._users = users

    async def execute(self) -> User:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:  # deleted since the token was checked
            raise AccessTokenInvalid
        return user
