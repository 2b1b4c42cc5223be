from application.admin.authorize_administrator import Administrator
from application.ports.users import UserRepository
from application.shared.account_changes import account_for_change
from application.shared.audit_log import AuditLog
from application.shared.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType


class DeleteUser:
    """Deletes an account with its sessions; its audit events stay, naming it by id."""

    def __init__(self, users: UserRepository, transactions: Transactions, audit: AuditLog) -> None:
        self._users = users
        self._transactions = transactions
        self._audit = audit

    async def execute(self, administrator: Administrator, user_id: int) -> None:
        await self._transactions.run(lambda: self._delete(administrator, user_id))

    async def _delete(self, administrator: Administrator, user_id: int) -> None:
        user = await account_for_change(self._users, user_id, AccountChange(delete=True))
        await self._users.delete(user.id)
        await self._audit.record(
            AuditEventType.USER_DELETE,
            administrator.client,
            user_id=user.id,
            actor_id=administrator.user_id,
            detail={"username": user.username.value},
        )
