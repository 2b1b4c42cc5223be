"""The audit trail kept in memory."""

from dataclasses import replace
from datetime import datetime

from adapters.memory.storage import InMemoryStorage
from application.ports.audit import AuditSearch, AuditTrail
from domain.audit import AuditEvent


class InMemoryAuditTrail(AuditTrail):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def record(self, event: AuditEvent) -> None:
        self._storage.audit_events.append(replace(event, id=self._storage.next_audit_id))
        self._storage.next_audit_id += 1

    async def search(self, search: AuditSearch) -> list[AuditEvent]:
        found = [
            event
            for event in reversed(self._storage.audit_events)
            if (search.before_id is None or (event.id or 0) < search.before_id)
            and (search.user_id is None or event.user_id == search.user_id)
            and (search.type is None or event.type == search.type)
        ]
        return found[: search.limit]

    async def purge(self, before: datetime) -> int:
        events = self._storage.audit_events
        kept = [event for event in events if event.at >= before]
        purged = len(events) - len(kept)
        events[:] = kept
        return purged
