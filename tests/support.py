"""What the tests need besides the HTTP API: a clock they control, and a back door into storage to
do what no endpoint does (delete a user, take a role away, count rows)."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import bcrypt
from dishka import AsyncContainer, Provider, Scope, provide
from httpx import AsyncClient, Response
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryStorage
from adapters.sqlalchemy.tables import refresh_tokens, sessions, user_roles, users
from application.ports import Clock
from domain.roles import Role
from domain.values import PasswordHash
from entrypoints.settings import Settings

DEFAULT_PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class ClockProvider(Provider):
    """Overrides the system clock in a container built for a test."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self._clock = clock

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self._clock


class Backdoor(Protocol):
    async def user_id(self, username: str) -> int | None: ...
    async def delete_user(self, user_id: int) -> None: ...
    async def set_roles(self, user_id: int, roles: set[Role]) -> None: ...
    async def count_users(self) -> int: ...
    async def live_refresh_tokens(self, user_id: int) -> int: ...
    async def sessions_of(self, user_id: int) -> int: ...
    async def password_hash(self, user_id: int) -> str: ...
    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

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

    async def sessions_of(self, user_id: int) -> int:
        return sum(1 for s in self._storage.sessions.values() if s.user_id == user_id)

    async def password_hash(self, user_id: int) -> str:
        return self._storage.users[user_id].password_hash.value

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        user = self._storage.users[user_id]
        self._storage.users[user_id] = replace(user, password_hash=PasswordHash(password_hash))


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


@dataclass
class Service:
    """The app under test with a client, as the sample front-ends would talk to it."""

    client: AsyncClient
    container: AsyncContainer
    settings: Settings
    clock: FakeClock
    backdoor: Backdoor

    async def signup(
        self,
        username: str,
        *,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        roles: list[str] | None = None,
        token: str | None = None,
    ) -> Response:
        body: dict[str, Any] = {
            "username": username,
            "email": email or f"{username}@example.com",
            "password": password,
        }
        if roles is not None:
            body["roles"] = roles
        headers = {"x-access-token": token} if token else {}
        return await self.client.post("/api/auth/signup", json=body, headers=headers)

    async def signin(self, username: str, password: str = DEFAULT_PASSWORD) -> Response:
        return await self.client.post(
            "/api/auth/signin", json={"username": username, "password": password}
        )

    async def signed_in(self, username: str, roles: set[Role] | None = None) -> dict[str, Any]:
        """Registers the user (with the given roles, set through the back door) and signs in."""
        assert (await self.signup(username)).status_code == 200
        if roles is not None:
            user_id = await self.backdoor.user_id(username)
            assert user_id is not None
            await self.backdoor.set_roles(user_id, roles)
        response = await self.signin(username)
        assert response.status_code == 200, response.text
        self.client.cookies.clear()
        body: dict[str, Any] = response.json()
        return body

    async def get(self, path: str, token: str | None = None) -> Response:
        headers = {"x-access-token": token} if token else {}
        return await self.client.get(path, headers=headers)
