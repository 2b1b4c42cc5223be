"""Accounts as the use cases change them."""

from datetime import datetime
from typing import Protocol

from domain.roles import Role
from domain.user import NewUser, User
from domain.values import Email, PasswordHash, Username


class UserRepository(Protocol):
    async def add(self, user: NewUser) -> User:
        """Stores the user with its roles at once.

        Raises UsernameAlreadyExists or EmailAlreadyExists (case-insensitively), as the storage's
        unique indexes decide, so that concurrent signups cannot both win.
        """
        ...

    async def find_by_username(self, username: Username) -> User | None: ...

    async def find_taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        """Whether the username and the email are in use, in one look-up."""
        ...

    async def set_password_hash(self, user_id: int, password_hash: PasswordHash) -> None: ...

    async def get(self, user_id: int) -> User | None: ...

    async def set_roles(self, user_id: int, roles: frozenset[Role]) -> None: ...

    async def set_disabled(self, user_id: int, disabled: bool) -> None: ...

    async def delete(self, user_id: int) -> None:
        """The user's sessions and refresh tokens go with it."""
        ...

    async def record_signin(self, user_id: int, at: datetime) -> None: ...

    async def hold_administrators(self) -> None:
        """Makes this unit of work the only one changing who administers until it ends.

        The first statement of every administrative change: it writes one guard row, so on
        MySQL concurrent changes queue on its lock, on SQLite on the write lock, and on a
        multi-primary cluster one of two concurrent changes fails certification and runs again.
        """
        ...

    async def keep_another_administrator(self, user_id: int) -> bool:
        """Whether an enabled administrator other than `user_id` exists, decided by the
        database in a conditional write on the guard row; call `hold_administrators` first."""
        ...

    async def find_by_email(self, email: Email) -> User | None:
        """Case-insensitively, as uniqueness is decided."""
        ...

    async def mark_email_verified(self, user_id: int) -> None: ...
