"""A conflict storage reports outside a unit of work (on Galera: a causal read its node could not
serve in time) is answered 503 with Retry-After, like any storage that cannot answer now: never
a 500. Inside a unit of work, conflicts are retried (tests/integration/test_transient_conflicts.py).
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide

from application.common.errors import StorageConflict
from application.ports.sessions import PrincipalFinder
from domain.user import Principal
from entrypoints.http.app import create_app
from entrypoints.ioc import build_container
from entrypoints.settings import Settings
from tests.service import DEFAULT_PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["memory"], indirect=True)


class CausalReadTimingOut(PrincipalFinder):
    async def find(
        self, user_id: int, session_id: str, now: datetime, key_id: str | None = None
    ) -> Principal | None:
        raise StorageConflict("lock wait timeout (1205)")


class CausalReadTimingOutProvider(Provider):
    @provide(scope=Scope.APP)
    def principals(self) -> PrincipalFinder:
        return CausalReadTimingOut()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(settings, CausalReadTimingOutProvider())
    app: Any = create_app(settings, container)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://localhost") as c,
    ):
        yield c


async def test_a_conflict_outside_a_unit_of_work_is_a_503(client: httpx.AsyncClient) -> None:
    body = {"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD}
    assert (await client.post("/api/auth/signup", json=body)).status_code == 200
    signin = await client.post(
        "/api/auth/signin", json={"username": "alice", "password": DEFAULT_PASSWORD}
    )
    token = signin.json()["accessToken"]

    response = await client.get("/api/test/user", headers={"x-access-token": token})

    assert response.status_code == 503
    assert response.json() == {"message": "Service temporarily unavailable. Please try again."}
    assert response.headers["retry-after"] == "2"
