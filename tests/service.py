"""The app under test with an HTTP client, as the sample front-ends talk to it."""

from dataclasses import dataclass
from typing import Any

from dishka import AsyncContainer
from httpx import AsyncClient, Response
from litestar import Litestar

from domain.roles import Role
from entrypoints.settings import Settings
from tests.backdoors import Backdoor
from tests.fakes import FakeClock

DEFAULT_PASSWORD = "correct horse battery"


@dataclass
class Service:
    """The app under test with a client, as the sample front-ends would talk to it."""

    client: AsyncClient
    container: AsyncContainer
    settings: Settings
    clock: FakeClock
    backdoor: Backdoor
    app: Litestar

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
