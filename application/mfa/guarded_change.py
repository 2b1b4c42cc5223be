"""What disabling two-factor and renewing recovery codes share: the caller's password and a
code of their second factor, both checked under the signin limits, before a change in a unit of
work of its own."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.common.errors import AccessTokenInvalid, SecondFactorCodeInvalid
from application.ports.users import UserRepository
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import ConfirmPassword
from application.shared.second_factor_checks import SecondFactorCheck, SecondFactorCode
from application.shared.transactions import Transactions
from domain.user import User

_T = TypeVar("_T")


class GuardedChange:
    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        confirm_password: ConfirmPassword,
        check: SecondFactorCheck,
        transactions: Transactions,
    ) -> None:
        self._identify = identify
        self._users = users
        self._confirm_password = confirm_password
        self._check = check
        self._transactions = transactions

    async def __call__(
        self, password: str, code: str | None, reason: str, change: Callable[[User], Awaitable[_T]]
    ) -> _T:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        if not user.second_factor:
            # Nothing to disable or renew: as a wrong code, and before any password is checked.
            raise SecondFactorCodeInvalid
        second_factor = SecondFactorCode.either(code)
        self._check.demand(user, second_factor)
        return await self._confirm_password(
            user,
            password,
            reason,
            lambda: self._check.step_up(
                user, second_factor, lambda: self._transactions.run(lambda: change(user))
            ),
        )
