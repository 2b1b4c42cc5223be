from dataclasses import replace

from application.account_changes import account_for_change
from application.audit_log import AuditLog
from application.authorize_administrator import Administrator
from application.ports import Clock, SessionStore, UserRepository
from application.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType
from domain.user import User


class EnableUser:
    """Lets a disabled account sign in again, with new sessions only: any session still live is
    ended too (one a signin racing the disabling may have started), so that enabling never
    revives a session from before."""

    def __init__(
        self,
        users: UserRepository,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, administrator: Administrator, user_id: int) -> User:
        return await self._transactions.run(lambda: self._enable(administrator, user_id))

    async def _enable(self, administrator: Administrator, user_id: int) -> User:
        user = await account_for_change(self._users, user_id, AccountChange())
        await self._users.set_disabled(user.id, False)
        if user.disabled:
            await self._sessions.revoke_all_of_user(user.id, self._clock.now())
        await self._audit.record(
            AuditEventType.USER_ENABLE,
            administrator.client,
            user_id=user.id,
            actor_id=administrator.user_id,
        )
        return replace(user, disabled=False)
