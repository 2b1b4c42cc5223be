from application.admin.authorize_administrator import AuthorizeAdministrator
from application.common.errors import UserNotFound
from application.ports.users import UserRepository
from domain.user import User


class GetUser:
    def __init__(self, authorize: AuthorizeAdministrator, users: UserRepository) -> None:
        self._authorize = authorize
        self._users = users

    async def execute(self, user_id: int) -> User:
        await self._authorize()
        user = await self._users.get(user_id)
        if user is None:
            raise UserNotFound
        return user
