"""The checks every change to who an account is goes through, inside the change's unit of work."""

from application.common.errors import UserNotFound
from application.ports.users import UserRepository
from domain.administrators import AccountChange
from domain.errors import LastAdministrator
from domain.user import User


async def account_for_change(users: UserRepository, user_id: int, change: AccountChange) -> User:
    """The account as it is before `change`, once the change is known to be allowed.

    Read after the administrators are held, so no concurrent change can slip between this read
    and the caller's write; the last-administrator question is then the database's to answer.
    """
    await users.hold_administrators()
    user = await users.get(user_id)
    if user is None:
        raise UserNotFound
    if change.removes_an_administrator(user) and not await users.keep_another_administrator(
        user_id
    ):
        raise LastAdministrator
    return user
