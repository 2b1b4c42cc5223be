"""What an administrator's change to another account shares: the caller authorized as an
administrator first, the ports it works through, a unit of work of its own, retried whole on a
conflict, and the audit event naming the administrator as its actor."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Generic, ParamSpec, TypeVar

from application.admin.authorize_administrator import Administrator, AuthorizeAdministrator
from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.transactions import Transactions
from domain.audit import AuditEventType, DetailValue

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


class AdministrativeChange(ABC, Generic[Arguments, Result]):
    def __init__(
        self,
        authorize: AuthorizeAdministrator,
        users: UserRepository,
        sessions: SessionStore,
        clock: Clock,
        transactions: Transactions,
        audit: AuditLog,
    ) -> None:
        self._authorize = authorize
        self._users = users
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._audit = audit

    async def execute(self, *args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
        """Raises AccessTokenMissing, AccessTokenExpired, AccessTokenInvalid or RoleRequired
        before anything is read, unless the caller administers."""
        administrator = await self._authorize()
        return await self._transactions.run(lambda: self._change(administrator, *args, **kwargs))

    @abstractmethod
    async def _change(
        self, administrator: Administrator, *args: Arguments.args, **kwargs: Arguments.kwargs
    ) -> Result:
        """The change, its reads and its audit event, inside the unit of work."""

    async def _record(
        self,
        kind: AuditEventType,
        administrator: Administrator,
        user_id: int,
        detail: Mapping[str, DetailValue] | None = None,
    ) -> None:
        await self._audit.record(
            kind,
            administrator.client,
            user_id=user_id,
            actor_id=administrator.user_id,
            detail=detail,
        )
