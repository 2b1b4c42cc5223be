"""The append-only trail of who changed what."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.audit import AuditEvent, AuditEventType


@dataclass(frozen=True, slots=True)
class AuditSearch:
    user_id: int | None = None
    type: AuditEventType | None = None
    before_id: int | None = None
    limit: int = 50


class AuditTrail(Protocol):
    """Append-only: events are added in the unit of work of the change they record, so one
    exists exactly when its change was committed; only the retention purge removes them."""

    async def record(self, event: AuditEvent) -> None: ...

    async def search(self, search: AuditSearch) -> list[AuditEvent]:
        """Matching events, newest first, with ids below `before_id`."""
        ...

    async def purge(self, before: datetime) -> int:
        """Deletes events older than `before`; how many went."""
        ...
