"""The three roles and the rules about who may hold them."""

from collections.abc import Iterable
from enum import Enum

from domain.errors import InvalidField, UnknownRole


class Role(Enum):
    """Value is the stable id the roles table seeds (1, 2, 3)."""

    USER = 1
    MODERATOR = 2
    ADMIN = 3

    @property
    def role_name(self) -> str:
        return self.name.lower()

    @property
    def authority(self) -> str:
        """The `ROLE_*` spelling the clients expect in the signin response."""
        return f"ROLE_{self.name}"

    @classmethod
    def from_name(cls, name: str) -> "Role":
        for role in cls:
            if role.role_name == name:
                return role
        raise UnknownRole(name)


DEFAULT_ROLES = frozenset({Role.USER})
PRIVILEGED_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})


def roles_from_names(names: Iterable[str] | None) -> frozenset[Role]:
    """Roles a signup asks for; none or an empty list means the plain user role.

    The original granted every role for `[]`; here an empty request is the least privilege.
    """
    requested = frozenset(Role.from_name(name) for name in names or ())
    return requested or DEFAULT_ROLES


def in_canonical_order(roles: Iterable[Role]) -> list[Role]:
    """User, moderator, admin: the order clients display them in."""
    return sorted(set(roles), key=lambda role: role.value)


def roles_to_assign(names: Iterable[str]) -> frozenset[Role]:
    """Roles an administrator sets on an account: exactly those named, at least one."""
    assigned = frozenset(Role.from_name(name) for name in names)
    if not assigned:
        raise InvalidField("roles", "must name at least one role.")
    return assigned
