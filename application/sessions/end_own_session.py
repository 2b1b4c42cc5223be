from dataclasses import dataclass

from application.common.errors import SessionNotFound
from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import IdentifyCaller
from application.shared.transactions import Transactions
from domain.audit import AuditEventType


@dataclass(frozen=True, slots=True)
class EndOwnSessionRequest:
    session_id: str


class EndOwnSession:
    """Ends one live session of the signed-in caller (a lost phone); any other id is unknown."""

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

    async def execute(self, request: EndOwnSessionRequest) -> None:
        caller = await self._identify()
        await self._transactions.run(lambda: self._end(caller.user_id, request))

    async def _end(self, user_id: int, request: EndOwnSessionRequest) -> None:
        if not await self._sessions.revoke_of_user(user_id, request.session_id, self._clock.now()):
            raise SessionNotFound
        await self._audit.record(
            AuditEventType.SESSIONS_REVOKE,
            self._identify.client,
            user_id=user_id,
            actor_id=user_id,
            detail={"sessionsEnded": 1},
        )
