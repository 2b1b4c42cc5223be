"""Which resource needs which role."""

from enum import Enum, auto

from application.common.errors import RoleRequired
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


def require(principal: Principal, resource: Resource) -> Principal:
    """The principal, if it may see the resource; raises RoleRequired if not."""
    required = REQUIRED_ROLE[resource]
    if required is not None and not principal.holds(required):
        raise RoleRequired(required)
    return principal
