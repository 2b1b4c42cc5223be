from application.audit_log import AuditLog
from application.authorize_administrator import Administrator
from application.errors import UserNotFound
from application.ports import Clock, SessionStore, UserRepository
from application.transactions import Transactions
from domain.audit import AuditEventType


class EndUserSessions:
    """Ends every session of an account; it may sign in again."""

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

    async def execute(self, administrator: Administrator, user_id: int) -> int:
        return await self._transactions.run(lambda: self._end(administrator, user_id))

    async def _end(self, administrator: Administrator, user_id: int) -> int:
        if await self._users.get(user_id) is None:
            raise UserNotFound
        ended = await self._sessions.revoke_all_of_user(user_id, self._clock.now())
        await self._audit.record(
            AuditEventType.SESSIONS_REVOKE,
            administrator.client,
            user_id=user_id,
            actor_id=administrator.user_id,
            detail={"sessionsEnded": ended},
        )
        return ended
