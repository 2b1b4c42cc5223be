from dataclasses import dataclass

from application.admin.authorize_administrator import AuthorizeAdministrator
from application.common.pages import Page, cursor_id, page_of, page_size
from application.ports.audit import AuditSearch, AuditTrail
from domain.audit import AuditEvent, AuditEventType


@dataclass(frozen=True, slots=True)
class ReadAuditTrailRequest:
    user_id: int | None = None
    type: str | None = None
    limit: int | None = None
    cursor: str | None = None


class ReadAuditTrail:
    """Events newest first, a page at a time, filtered by subject and type."""

    def __init__(self, authorize: AuthorizeAdministrator, trail: AuditTrail) -> None:
        self._authorize = authorize
        self._trail = trail

    async def execute(self, request: ReadAuditTrailRequest) -> Page[AuditEvent]:
        await self._authorize()
        size = page_size(request.limit)
        search = AuditSearch(
            user_id=request.user_id,
            type=AuditEventType.from_name(request.type) if request.type else None,
            before_id=cursor_id(request.cursor),
            limit=size + 1,
        )
        return page_of(await self._trail.search(search), size, lambda event: event.id)
