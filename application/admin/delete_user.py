from application.admin.administrative_change import AdministrativeChange
from application.admin.authorize_administrator import Administrator
from application.shared.account_changes import account_for_change
from domain.administrators import AccountChange
from domain.audit import AuditEventType


class DeleteUser(AdministrativeChange[[int], None]):
    """Deletes an account with its sessions; its audit events stay, naming it by id."""

    async def _change(self, administrator: Administrator, user_id: int) -> None:
        user = await account_for_change(self._users, user_id, AccountChange(delete=True))
        await self._users.delete(user.id)
        await self._record(
            AuditEventType.USER_DELETE,
            administrator,
            user.id,
            {"username": user.username.value},
        )
