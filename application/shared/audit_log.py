"""How the use cases write the audit trail: the event's time from the one clock, its origin from
the request's client."""

from collections.abc import Mapping

from application.common.client import Client
from application.ports.audit import AuditTrail
from application.ports.clock import Clock
from application.shared.transactions import Transactions
from domain.audit import AuditEvent, AuditEventType, DetailValue


class AuditLog:
    def __init__(self, trail: AuditTrail, clock: Clock, transactions: Transactions) -> None:
        self._trail = trail
        self._clock = clock
        self._transactions = transactions

    async def record(
        self,
        kind: AuditEventType,
        client: Client,
        *,
        user_id: int | None,
        actor_id: int | None,
        detail: Mapping[str, DetailValue] | None = None,
    ) -> None:
        """Inside the caller's unit of work, so the event commits or rolls back with the change
        it records."""
        event = AuditEvent(
            type=kind,
            at=self._clock.now(),
            user_id=user_id,
            actor_id=actor_id,
            ip=client.address,
            user_agent=client.user_agent,
            detail=dict(detail or {}),
        )
        await self._trail.record(event)

    async def record_alone(
        self,
        kind: AuditEventType,
        client: Client,
        *,
        user_id: int | None,
        actor_id: int | None,
        detail: Mapping[str, DetailValue] | None = None,
    ) -> None:
        """In a unit of work of its own, for an event no change goes with (a failed signin).
        Never call it inside another unit of work: it commits."""
        await self._transactions.run(
            lambda: self.record(kind, client, user_id=user_id, actor_id=actor_id, detail=detail)
        )
