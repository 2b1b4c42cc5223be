"""The administrators' listing of accounts: a read path of its own, apart from the
`UserRepository` the changes go through, so that no page of users carries a password hash."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.roles import Role, in_canonical_order
from domain.values import Email, Username


@dataclass(frozen=True, slots=True)
class UserSearch:
    prefix: str | None = None
    """Matches the start of a username or email, ignoring case."""
    role: Role | None = None
    disabled: bool | None = None
    after_id: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class UserSummary:
    """An account as a listing shows it: everything an administrator reads, no password hash."""

    id: int
    username: Username
    email: Email
    roles: frozenset[Role]
    created_at: datetime | None
    disabled: bool
    email_verified: bool
    last_signin_at: datetime | None
    second_factor: bool = False

    @property
    def ordered_roles(self) -> list[Role]:
        return in_canonical_order(self.roles)


class UserReader(Protocol):
    async def search(self, search: UserSearch) -> list[UserSummary]:
        """Users matching every filter given, ordered by id, with ids above `after_id`."""
        ...
