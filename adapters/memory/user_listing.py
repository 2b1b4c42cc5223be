"""The administrators' listing, read from the users kept in memory."""

from adapters.memory.storage import InMemoryStorage
from application.ports.user_listing import UserReader, UserSearch, UserSummary
from domain.user import User


class InMemoryUserReader(UserReader):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def search(self, search: UserSearch) -> list[UserSummary]:
        found = [
            _summary_of(user)
            for user_id, user in sorted(self._storage.users.items())
            if user_id > search.after_id and _matches(user, search)
        ]
        return found[: search.limit]


def _summary_of(user: User) -> UserSummary:
    return UserSummary(
        id=user.id,
        username=user.username,
        email=user.email,
        roles=user.roles,
        created_at=user.created_at,
        disabled=user.disabled,
        email_verified=user.email_verified,
        last_signin_at=user.last_signin_at,
        second_factor=user.second_factor,
    )


def _matches(user: User, search: UserSearch) -> bool:
    if search.prefix is not None and not (
        user.username.key.startswith(search.prefix) or user.email.key.startswith(search.prefix)
    ):
        return False
    if search.role is not None and search.role not in user.roles:
        return False
    return search.disabled is None or user.disabled == search.disabled
