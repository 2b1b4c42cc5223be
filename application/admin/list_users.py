from dataclasses import dataclass

from application.admin.authorize_administrator import AuthorizeAdministrator
from application.common.pages import Page, cursor_id, page_of, page_size
from application.ports.user_listing import UserReader, UserSearch, UserSummary
from domain.roles import Role


@dataclass(frozen=True, slots=True)
class ListUsersRequest:
    query: str | None = None
    """The start of a username or an email, any case."""
    role: str | None = None
    disabled: bool | None = None
    limit: int | None = None
    cursor: str | None = None


class ListUsers:
    """Users by id, a page at a time, filtered."""

    def __init__(self, authorize: AuthorizeAdministrator, users: UserReader) -> None:
        self._authorize = authorize
        self._users = users

    async def execute(self, request: ListUsersRequest) -> Page[UserSummary]:
        await self._authorize()
        size = page_size(request.limit)
        search = UserSearch(
            prefix=request.query.lower() if request.query else None,
            role=Role.from_name(request.role) if request.role else None,
            disabled=request.disabled,
            after_id=cursor_id(request.cursor) or 0,
            limit=size + 1,
        )
        return page_of(await self._users.search(search), size, lambda user: user.id)
