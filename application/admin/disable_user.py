from dataclasses import replace

from application.admin.administrative_change import AdministrativeChange
from application.admin.authorize_administrator import Administrator
from application.shared.account_changes import account_for_change
from domain.administrators import AccountChange
from domain.audit import AuditEventType
from domain.user import User


class DisableUser(AdministrativeChange[[int], User]):
    """Locks an account out: its sessions end at once, its signin is refused (after a correct
    password only, so the refusal tells nothing to a guesser), and it keeps its data."""

    async def _change(self, administrator: Administrator, user_id: int) -> User:
        user = await account_for_change(self._users, user_id, AccountChange(disable=True))
        await self._users.set_disabled(user.id, True)
        ended = await self._sessions.revoke_all_of_user(user.id, self._clock.now())
        await self._record(
            AuditEventType.USER_DISABLE, administrator, user.id, {"sessionsEnded": ended}
        )
        return replace(user, disabled=True)
