"""Which resource needs which role, and whether a caller may see it."""

from dataclasses import dataclass
from enum import Enum, auto

from application.errors import RoleRequired
from application.identify_caller import IdentifyCaller
from domain.roles import Role
from domain.user import Principal


class Resource(Enum):
    USER_CONTENT = auto()
    MODERATOR_CONTENT = auto()
    ADMIN_CONTENT = auto()
    USER_ADMINISTRATION = auto()
    """Listing, changing and deleting other people's accounts; reading the audit trail."""


# None: any signed-in user. As in the original, roles do not imply each other.
REQUIRED_ROLE: dict[Resource, Role | None] = {
    Resource.USER_CONTENT: None,
    Resource.MODERATOR_CONTENT: Role.MODERATOR,
    Resource.ADMIN_CONTENT: Role.ADMIN,
    Resource.USER_ADMINISTRATION: Role.ADMIN,
}


@dataclass(frozen=True, slots=True)
class AuthorizeAccessRequest:
    access_token: str | None
    resource: Resource


class AuthorizeAccess:
    def __init__(self, identify: IdentifyCaller) -> None:
        self._identify = identify

    async def execute(self, request: AuthorizeAccessRequest) -> Principal:
        principal = await self._identify(request.access_token)
        required = REQUIRED_ROLE[request.resource]
        if required is not None and not principal.holds(required):
            raise RoleRequired(required)
        return principal
