from dataclasses import replace

from application.account_changes import account_for_change
from application.audit_log import AuditLog
from application.authorize_administrator import Administrator
from application.ports import UserRepository
from application.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType
from domain.user import User


class EnableUser:
    """Lets a disabled account sign in again; the sessions that disabling ended stay ended."""

    def __init__(self, users: UserRepository, transactions: Transactions, audit: AuditLog) -> None:
        self._users = users
        self._transactions = transactions
        self._audit = audit

    async def execute(self, administrator: Administrator, user_id: int) -> User:
        return await self._transactions.run(lambda: self._enable(administrator, user_id))

    async def _enable(self, administrator: Administrator, user_id: int) -> User:
        user = await account_for_change(self._users, user_id, AccountChange())
        await self._users.set_disabled(user.id, False)
        await self._audit.record(
            AuditEventType.USER_ENABLE,
            administrator.client,
            user_id=user.id,
            actor_id=administrator.user_id,
        )
        return replace(user, disabled=False)
