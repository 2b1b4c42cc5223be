from dataclasses import replace

from application.admin.administrative_change import AdministrativeChange
from application.admin.authorize_administrator import Administrator
from application.shared.account_changes import account_for_change
from domain.administrators import AccountChange
from domain.audit import AuditEventType
from domain.user import User


class EnableUser(AdministrativeChange[[int], User]):
    """Lets a disabled account sign in again, with new sessions only: any session still live is
    ended too (one a signin racing the disabling may have started), so that enabling never
    revives a session from before."""

    async def _change(self, administrator: Administrator, user_id: int) -> User:
        user = await account_for_change(self._users, user_id, AccountChange())
        await self._users.set_disabled(user.id, False)
        if user.disabled:
            await self._sessions.revoke_all_of_user(user.id, self._clock.now())
        await self._record(AuditEventType.USER_ENABLE, administrator, user.id)
        return replace(user, disabled=False)
