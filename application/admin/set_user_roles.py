from collections.abc import Sequence
from dataclasses import dataclass, replace

from application.admin.administrative_change import AdministrativeChange
from application.admin.authorize_administrator import Administrator
from application.shared.account_changes import account_for_change
from domain.administrators import AccountChange
from domain.audit import AuditEventType
from domain.roles import Role, in_canonical_order, roles_to_assign
from domain.user import User


@dataclass(frozen=True, slots=True)
class SetUserRolesRequest:
    user_id: int
    roles: Sequence[str]


class SetUserRoles(AdministrativeChange[[SetUserRolesRequest], User]):
    """Replaces an account's roles. They are read on every request, so the change holds from the
    account's next request on."""

    async def _change(self, administrator: Administrator, request: SetUserRolesRequest) -> User:
        # An unknown role is refused before the first read.
        roles = roles_to_assign(request.roles)
        user = await account_for_change(self._users, request.user_id, AccountChange(roles=roles))
        await self._users.set_roles(user.id, roles)
        await self._record(
            AuditEventType.ROLES_CHANGE,
            administrator,
            user.id,
            {"from": _names(user.roles), "to": _names(roles)},
        )
        return replace(user, roles=roles)


def _names(roles: frozenset[Role]) -> list[str]:
    return [role.role_name for role in in_canonical_order(roles)]
