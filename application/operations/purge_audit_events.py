from dataclasses import dataclass
from datetime import timedelta

from application.ports.audit import AuditTrail
from application.ports.clock import Clock
from application.shared.transactions import Transactions


@dataclass(frozen=True, slots=True)
class AuditPolicy:
    retention: timedelta
    """Events older than this are deleted by the periodic purge."""


class PurgeAuditEvents:
    def __init__(
        self, trail: AuditTrail, clock: Clock, policy: AuditPolicy, transactions: Transactions
    ) -> None:
        self._trail = trail
        self._clock = clock
        self._policy = policy
        self._transactions = transactions

    async def execute(self) -> int:
        before = self._clock.now() - self._policy.retention
        return await self._transactions.run(lambda: self._trail.purge(before))
