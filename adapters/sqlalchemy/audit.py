import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Row, String, bindparam, delete, insert, or_, select

from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import (
    ADDRESS_LENGTH,
    AUDIT_DETAIL_LENGTH,
    STORABLE_IDS,
    USER_AGENT_LENGTH,
    audit_events,
)
from application.ports.audit import AuditSearch, AuditTrail
from domain.audit import AuditEvent, AuditEventType

_INSERT = insert(audit_events)
# 64-bit, whatever the column: an id a client names may be any storable one (STORABLE_IDS), and
# PostgreSQL's driver refuses to bind one over 32 bits as the column's INTEGER.
_user = bindparam("user_id", type_=BigInteger)
_type = bindparam("type", type_=String)
_before = bindparam("before_id", type_=BigInteger)
# One statement for every combination of filters: a filter left NULL matches everything.
_SEARCH = (
    select(audit_events)
    .where(
        or_(_before.is_(None), audit_events.c.id < _before),
        or_(_user.is_(None), audit_events.c.user_id == _user),
        or_(_type.is_(None), audit_events.c.type == _type),
    )
    .order_by(audit_events.c.id.desc())
    .limit(bindparam("limit"))
)
_PURGE = delete(audit_events).where(audit_events.c.at < bindparam("before"))


class SqlAlchemyAuditTrail(AuditTrail):
    def __init__(self, database: SqlAlchemyDatabase) -> None:
        self._database = database

    async def record(self, event: AuditEvent) -> None:
        detail = json.dumps(dict(event.detail), separators=(",", ":"), sort_keys=True)
        if len(detail) > AUDIT_DETAIL_LENGTH:
            raise ValueError("an audit event's detail is meant to be small")
        await self._database.execute(
            _INSERT,
            {
                "at": event.at,
                "type": event.type.value,
                "user_id": event.user_id,
                "actor_id": event.actor_id,
                "ip": event.ip[:ADDRESS_LENGTH],
                "user_agent": event.user_agent[:USER_AGENT_LENGTH],
                "detail": detail,
            },
        )

    async def search(self, search: AuditSearch) -> list[AuditEvent]:
        if search.user_id is not None and search.user_id not in STORABLE_IDS:
            return []
        result = await self._database.execute(
            _SEARCH,
            {
                "before_id": search.before_id,
                "user_id": search.user_id,
                "type": None if search.type is None else search.type.value,
                "limit": search.limit,
            },
        )
        return [_event_from(row) for row in result.all()]

    async def purge(self, before: datetime) -> int:
        purged = await self._database.execute(_PURGE, {"before": before})
        return purged.rowcount


def _event_from(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        type=AuditEventType(row.type),
        at=row.at,
        user_id=row.user_id,
        actor_id=row.actor_id,
        ip=row.ip,
        user_agent=row.user_agent,
        detail=json.loads(row.detail),
    )
