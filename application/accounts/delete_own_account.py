from dataclasses import dataclass, field

from application.common.client import Client
from application.common.errors import AccessTokenInvalid
from application.ports.users import UserRepository
from application.shared.account_changes import account_for_change
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.password_guesses import ConfirmPassword
from application.shared.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType


@dataclass(frozen=True, slots=True)
class DeleteOwnAccountRequest:
    password: str = field(repr=False)


class DeleteOwnAccount:
    """The signed-in caller deletes their account, password required (a guess at it is a guess
    at signin: see ConfirmPassword); all its sessions end with it. The last enabled
    administrator cannot."""

    def __init__(
        self,
        identify: IdentifyCaller,
        users: UserRepository,
        transactions: Transactions,
        audit: AuditLog,
        confirm_password: ConfirmPassword,
    ) -> None:
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
        await self._confirm_password(
            user,
            request.password,
            "wrong password to delete the account",
            lambda: self._transactions.run(lambda: self._delete(user.id, self._identify.client)),
        )

    async def _delete(self, user_id: int, client: Client) -> None:
        await account_for_change(self._users, user_id, AccountChange(delete=True))
        await self._users.delete(user_id)
        await self._audit.record(
            AuditEventType.USER_DELETE, client, user_id=user_id, actor_id=user_id
        )
