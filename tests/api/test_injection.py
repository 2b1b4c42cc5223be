"""A request scope of the container is opened only for handlers that ask it for something, and
is closed when they are done, answered or refused (entrypoints/http/injection.py)."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dishka import AsyncContainer

from entrypoints.http.app import create_app
from entrypoints.http.injection import use_container
from entrypoints.ioc import build_container
from entrypoints.settings import Settings
from tests.service import DEFAULT_PASSWORD


class CountedScopes:
    """The application's container, counting the request scopes opened from it."""

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container
        self.opened = 0
        self.open_now = 0

    def __call__(self, *args: Any, **kwargs: Any) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._counted(self._container(*args, **kwargs))

    @contextlib.asynccontextmanager
    async def _counted(
        self, scope: contextlib.AbstractAsyncContextManager[AsyncContainer]
    ) -> AsyncIterator[AsyncContainer]:
        self.opened += 1
        self.open_now += 1
        try:
            async with scope as request_container:
                yield request_container
        finally:
            self.open_now -= 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        self.opened = 0
        yield


@pytest.fixture
async def counted(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, CountedScopes]]:
    container = build_container(settings)
    app: Any = create_app(settings, container)
    scopes = CountedScopes(container)
    use_container(app, scopes)  # type: ignore[arg-type]  # a stand-in that counts
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://localhost"
        ) as client,
    ):
        yield client, scopes


# The shared settings (tests/conftest.py) on a migrated SQLite file.
on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@on_sqlite
@pytest.mark.parametrize("path", ["/api/test/all", "/healthz", "/api/nowhere"])
async def test_a_request_that_needs_nothing_from_the_container_opens_no_scope(
    counted: tuple[httpx.AsyncClient, CountedScopes], path: str
) -> None:
    client, scopes = counted

    with scopes.counting():
        await client.get(path)

    assert scopes.opened == 0


@on_sqlite
async def test_each_request_that_needs_the_container_opens_one_scope_and_closes_it(
    counted: tuple[httpx.AsyncClient, CountedScopes],
) -> None:
    client, scopes = counted
    signup = {"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD}
    assert (await client.post("/api/auth/signup", json=signup)).status_code == 200
    signin = await client.post(
        "/api/auth/signin", json={"username": "alice", "password": DEFAULT_PASSWORD}
    )
    token = signin.json()["accessToken"]

    with scopes.counting():
        answers = [
            await client.get("/api/test/user", headers={"x-access-token": token}),
            await client.get("/api/test/admin", headers={"x-access-token": token}),
            await client.get("/api/test/user", headers={"x-access-token": "not a token"}),
        ]

    assert [answer.status_code for answer in answers] == [200, 403, 401]
    assert scopes.opened == 3
    assert scopes.open_now == 0
