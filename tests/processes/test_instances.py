"""Several servers on one database agree at once: what one revokes, every other refuses."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from entrypoints.settings import Settings
from tests.processes.servers import running_server
from tests.service import Service
from tests.storages import SQL_STORAGES

pytestmark = pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)


@pytest.fixture
def other_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`authgate serve` in a process of its own, on the same database and secret."""
    with running_server(tmp_path / "other", settings.database.url, WORKERS="1") as server:
        yield server.base_url


async def test_a_signout_is_seen_by_another_process(service: Service, other_server: str) -> None:
    user = await service.signed_in("alice")
    async with httpx.AsyncClient(base_url=other_server) as other:
        headers = {"x-access-token": user["accessToken"]}
        before = await other.get("/api/test/user", headers=headers)

        await service.client.post("/api/auth/signout", headers=headers)

        after = await other.get("/api/test/user", headers=headers)
        refreshed = await other.post(
            "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
        )

    assert before.status_code == 200
    assert before.text == "User Content."
    assert after.status_code == 401
    assert refreshed.status_code == 403


async def test_a_refresh_in_one_process_retires_the_token_in_the_other(
    service: Service, other_server: str
) -> None:
    user = await service.signed_in("alice")
    async with httpx.AsyncClient(base_url=other_server) as other:
        rotated = await other.post(
            "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
        )
        assert rotated.status_code == 200
        service.clock.advance(timedelta(seconds=60))  # past the reuse grace window

        reuse = await service.client.post(
            "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
        )
        after = await other.get(
            "/api/test/user", headers={"x-access-token": rotated.json()["accessToken"]}
        )

    assert reuse.status_code == 403
    assert after.status_code == 401
