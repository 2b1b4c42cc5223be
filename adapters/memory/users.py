"""Accounts kept in memory, unique ignoring case as the SQL indexes make them."""

from dataclasses import replace
from datetime import datetime

from adapters.memory.storage import InMemoryStorage
from application.ports.users import UserRepository
from domain.errors import EmailAlreadyExists, UsernameAlreadyExists
from domain.roles import Role
from domain.user import NewUser, User
from domain.values import Email, PasswordHash, Username


class InMemoryUserRepository(UserRepository):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def add(self, user: NewUser) -> User:
        username_taken, email_taken = self._taken(user.username, user.email)
        if username_taken:
            raise UsernameAlreadyExists
        if email_taken:
            raise EmailAlreadyExists
        stored = User(
            id=self._storage.next_user_id,
            username=user.username,
            email=user.email,
            password_hash=user.password_hash,
            roles=user.roles,
            created_at=user.created_at,
        )
        self._storage.users[stored.id] = stored
        self._storage.next_user_id += 1
        return stored

    async def find_by_username(self, username: Username) -> User | None:
        return next(
            (u for u in self._storage.users.values() if u.username.key == username.key), None
        )

    async def find_taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        return self._taken(username, email)

    async def set_password_hash(self, user_id: int, password_hash: PasswordHash) -> None:
        user = self._storage.users[user_id]
        self._storage.users[user_id] = replace(user, password_hash=password_hash)

    async def get(self, user_id: int) -> User | None:
        return self._storage.users.get(user_id)

    async def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        self._replace(user_id, roles=roles)

    async def set_disabled(self, user_id: int, disabled: bool) -> None:
        self._replace(user_id, disabled=disabled)

    async def delete(self, user_id: int) -> None:
        self._storage.delete_user(user_id)

    async def record_signin(self, user_id: int, at: datetime) -> None:
        self._replace(user_id, last_signin_at=at)

    async def hold_administrators(self) -> None:
        """Nothing to hold: a unit of work here never yields to another between its awaits."""

    async def keep_another_administrator(self, user_id: int) -> bool:
        return any(
            user.is_enabled_administrator and user.id != user_id
            for user in self._storage.users.values()
        )

    def _replace(self, user_id: int, **changes: object) -> None:
        user = self._storage.users.get(user_id)
        if user is not None:
            self._storage.users[user_id] = replace(user, **changes)  # type: ignore[arg-type]

    async def find_by_email(self, email: Email) -> User | None:
        return next((u for u in self._storage.users.values() if u.email.key == email.key), None)

    async def mark_email_verified(self, user_id: int) -> None:
        user = self._storage.users.get(user_id)
        if user is not None:
            self._storage.users[user_id] = replace(user, email_verified=True)

    def _taken(self, username: Username, email: Email) -> tuple[bool, bool]:
        users = self._storage.users.values()
        return (
            any(u.username.key == username.key for u in users),
            any(u.email.key == email.key for u in users),
        )
