"""A back door into storage, to do what no endpoint does: delete a user, take a role away, count
rows. One per kind of storage, so that a test reads the same on each."""

from dataclasses import replace
from typing import Protocol

import bcrypt
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryStorage
from adapters.sqlalchemy.tables import (
    recovery_codes,
    refresh_tokens,
    second_factors,
    sessions,
    user_roles,
    users,
)
from domain.roles import Role
from domain.values import PasswordHash


class Backdoor(Protocol):
    async def user_id(self, username: str) -> int | None: ...
    async def delete_user(self, user_id: int) -> None: ...
    async def set_roles(self, user_id: int, roles: set[Role]) -> None: ...
    async def count_users(self) -> int: ...
    async def live_refresh_tokens(self, user_id: int) -> int: ...
    async def refresh_tokens_of(self, user_id: int) -> int:
        """Every stored refresh token of the user's sessions, retired or live."""
        ...

    async def sessions_of(self, user_id: int) -> int: ...
    async def password_hash(self, user_id: int) -> str: ...
    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    async def second_factor_at_rest(self, user_id: int) -> list[str]:
        """Everything stored of the user's second factor: the sealed secret, then the recovery
        codes' digests."""
        ...

    async def set_password_cost(self, user_id: int, password: str, cost: int) -> None:
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()
        await self.set_password_hash(user_id, hashed)


class MemoryBackdoor(Backdoor):
    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage

    async def user_id(self, username: str) -> int | None:
        found = [u.id for u in self._storage.users.values() if u.username.key == username.lower()]
        return found[0] if found else None

    async def delete_user(self, user_id: int) -> None:
        self._storage.delete_user(user_id)

    async def set_roles(self, user_id: int, roles: set[Role]) -> None:
        user = self._storage.users[user_id]
        self._storage.users[user_id] = replace(user, roles=frozenset(roles))

    async def count_users(self) -> int:
        return len(self._storage.users)

    async def live_refresh_tokens(self, user_id: int) -> int:
        mine = {s.id for s in self._storage.sessions.values() if s.user_id == user_id}
        return sum(
            1
            for t in self._storage.refresh_tokens.values()
            if t.session_id in mine and t.rotated_at is None
        )

    async def refresh_tokens_of(self, user_id: int) -> int:
        mine = {s.id for s in self._storage.sessions.values() if s.user_id == user_id}
        return sum(1 for t in self._storage.refresh_tokens.values() if t.session_id in mine)

    async def sessions_of(self, user_id: int) -> int:
        return sum(1 for s in self._storage.sessions.values() if s.user_id == user_id)

    async def password_hash(self, user_id: int) -> str:
        return self._storage.users[user_id].password_hash.value

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        user = self._storage.users[user_id]
        self._storage.users[user_id] = replace(user, password_hash=PasswordHash(password_hash))

    async def second_factor_at_rest(self, user_id: int) -> list[str]:
        factor = self._storage.second_factors.get(user_id)
        sealed = [factor.sealed_secret] if factor else []
        return sealed + sorted(self._storage.recovery_codes.get(user_id, set()))


class SqlBackdoor(Backdoor):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def user_id(self, username: str) -> int | None:
        async with self._engine.connect() as connection:
            found = await connection.scalar(
                select(users.c.id).where(users.c.username_key == username.lower())
            )
        return None if found is None else int(found)

    async def delete_user(self, user_id: int) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(delete(users).where(users.c.id == user_id))

    async def set_roles(self, user_id: int, roles: set[Role]) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
            if roles:
                await connection.execute(
                    insert(user_roles), [{"user_id": user_id, "role_id": r.value} for r in roles]
                )

    async def count_users(self) -> int:
        async with self._engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(users)) or 0)

    async def live_refresh_tokens(self, user_id: int) -> int:
        async with self._engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(refresh_tokens.join(sessions))
                .where(sessions.c.user_id == user_id, refresh_tokens.c.rotated_at.is_(None))
            )
        return int(count or 0)

    async def refresh_tokens_of(self, user_id: int) -> int:
        async with self._engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(refresh_tokens.join(sessions))
                .where(sessions.c.user_id == user_id)
            )
        return int(count or 0)

    async def sessions_of(self, user_id: int) -> int:
        async with self._engine.connect() as connection:
            count = await connection.scalar(
                select(func.count()).select_from(sessions).where(sessions.c.user_id == user_id)
            )
        return int(count or 0)

    async def password_hash(self, user_id: int) -> str:
        async with self._engine.connect() as connection:
            found = await connection.scalar(select(users.c.password).where(users.c.id == user_id))
        return str(found)

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(users).where(users.c.id == user_id).values(password=password_hash)
            )

    async def second_factor_at_rest(self, user_id: int) -> list[str]:
        async with self._engine.connect() as connection:
            sealed = await connection.scalars(
                select(second_factors.c.totp_secret).where(second_factors.c.user_id == user_id)
            )
            digests = await connection.scalars(
                select(recovery_codes.c.digest)
                .where(recovery_codes.c.user_id == user_id)
                .order_by(recovery_codes.c.digest)
            )
            return [*sealed, *digests]
