from application.admin.authorize_administrator import Administrator
from application.common.errors import UserNotFound
from application.ports.users import UserRepository
from domain.user import User


class GetUser:
    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, administrator: Administrator, user_id: int) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise UserNotFound
        return user
