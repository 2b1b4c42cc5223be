from application.admin.administrative_change import AdministrativeChange
from application.admin.authorize_administrator import Administrator
from application.common.errors import UserNotFound
from domain.audit import AuditEventType


class EndUserSessions(AdministrativeChange[[int], int]):
    """Ends every session of an account; it may sign in again."""

    async def _change(self, administrator: Administrator, user_id: int) -> int:
        if await self._users.get(user_id) is None:
            raise UserNotFound
        ended = await self._sessions.revoke_all_of_user(user_id, self._clock.now())
        await self._record(
            AuditEventType.SESSIONS_REVOKE, administrator, user_id, {"sessionsEnded": ended}
        )
        return ended
