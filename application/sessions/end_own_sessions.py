from application.common.client import Client
from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.transactions import Transactions
from domain.audit import AuditEventType


class EndOwnSessions:
    """Ends every session of the signed-in caller, the one asking included ("sign out
    everywhere")."""

    def __init__(
        self,
        identify: IdentifyCaller,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._identify = identify
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self) -> int:
        caller = await self._identify()
        return await self._transactions.run(
            lambda: self._end(caller.user_id, self._identify.client)
        )

    async def _end(self, user_id: int, client: Client) -> int:
        ended = await self._sessions.revoke_all_of_user(user_id, self._clock.now())
        await self._audit.record(
            AuditEventType.SESSIONS_REVOKE,
            client,
            user_id=user_id,
            actor_id=user_id,
            detail={"sessionsEnded": ended},
        )
        return ended
