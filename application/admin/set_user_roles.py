from collections.abc import Sequence
from dataclasses import dataclass, replace

from application.admin.authorize_administrator import Administrator
from application.ports.users import UserRepository
from application.shared.account_changes import account_for_change
from application.shared.audit_log import AuditLog
from application.shared.transactions import Transactions
from domain.administrators import AccountChange
from domain.audit import AuditEventType
from domain.roles import Role, in_canonical_order, roles_to_assign
from domain.user import User


@dataclass(frozen=True, slots=True)
class SetUserRolesRequest:
    administrator: Administrator
    user_id: int
    roles: Sequence[str]


class SetUserRoles:
    """Replaces an account's roles. They are read on every request, so the change holds from the
    account's next request on."""

    def __init__(self, users: UserRepository, transactions: Transactions, audit: AuditLog) -> None:
        self._users = users
        self._transactions = transactions
        self._audit = audit

    async def execute(self, request: SetUserRolesRequest) -> User:
        roles = roles_to_assign(request.roles)
        return await self._transactions.run(lambda: self._set(request, roles))

    async def _set(self, request: SetUserRolesRequest, roles: frozenset[Role]) -> User:
        user = await account_for_change(self._users, request.user_id, AccountChange(roles=roles))
        await self._users.set_roles(user.id, roles)
        await self._audit.record(
            AuditEventType.ROLES_CHANGE,
            request.administrator.client,
            user_id=user.id,
            actor_id=request.administrator.user_id,
            detail={"from": _names(user.roles), "to": _names(roles)},
        )
        return replace(user, roles=roles)


def _names(roles: frozenset[Role]) -> list[str]:
    return [role.role_name for role in in_canonical_order(roles)]
