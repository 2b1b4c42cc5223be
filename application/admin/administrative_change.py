"""What an administrator's change to another account shares: the ports it works through, and a
unit of work of its own, retried whole on a conflict."""

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from application.admin.authorize_administrator import Administrator
from application.ports.clock import Clock
from application.ports.sessions import SessionStore
from application.ports.users import UserRepository
from application.shared.audit_log import AuditLog
from application.shared.transactions import Transactions

Result = TypeVar("Result")


class AdministrativeChange(ABC, Generic[Result]):
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

    async def execute(self, administrator: Administrator, user_id: int) -> Result:
        return await self._transactions.run(lambda: self._change(administrator, user_id))

    @abstractmethod
    async def _change(self, administrator: Administrator, user_id: int) -> Result:
        """The change, its reads and its audit event, inside the unit of work."""
