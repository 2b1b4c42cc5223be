from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import AccessTokenInvalid
from application.ports.users import UserRepository
from application.shared.account_changes import account_for_change
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import ConfirmPassword
from application.shared.second_factor_checks import SecondFactorCheck, SecondFactorCode
from application.shared.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType


@dataclass(frozen=True, slots=True)
class DeleteOwnAccountRequest:
    password: str = field(repr=False)
    code: str | None = field(default=None, repr=False)
    """A TOTP or recovery code: required when the caller has a second factor."""


class DeleteOwnAccount:
    """The signed-in caller deletes their account, password required (a guess at it is a guess
    at signin: see ConfirmPassword), and a code of their second factor if they have one; all its
    sessions end with it. The last enabled
    administrator cannot."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        transactions: Transactions,
        audit: AuditLog,
        confirm_password: ConfirmPassword,
        second_factor: SecondFactorCheck,
    ) -> None:
        self._second_factor = second_factor
        self._identify = identify
        self._users = users
        self._transactions = transactions
        self._audit = audit
        self._confirm_password = confirm_password

    async def execute(self, request: DeleteOwnAccountRequest) -> None:
        caller = await self._identify()
        user = await self._users.get(caller.user_id)
        if user is None:
            raise AccessTokenInvalid
        code = SecondFactorCode.either(request.code)
        self._second_factor.demand(user, code)
        await self._confirm_password(
            user,
            request.password,
            "wrong password to delete the account",
            lambda: self._second_factor.step_up(
                user,
                code,
                lambda: self._transactions.run(
                    lambda: self._delete(user.id, self._identify.client)
                ),
            ),
        )

    async def _delete(self, user_id: int, client: Client) -> None:
        await account_for_change(self._users, user_id, AccountChange(delete=True))
        await self._users.delete(user_id)
        await self._audit.record(
            AuditEventType.USER_DELETE, client, user_id=user_id, actor_id=user_id
        )
