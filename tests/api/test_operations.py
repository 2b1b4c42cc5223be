"""What operators ask of a running process: alive, ready, and (below) its metrics and logs."""

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import STORAGES, TEST_SECRET
from tests.support import Service

storages = pytest.mark.parametrize("database_url", STORAGES, indirect=True)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def service_without_database(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a MySQL URL where nothing listens: every database call is refused."""
    settings = Settings(
        database_url=f"mysql+asyncmy://root@127.0.0.1:{_closed_port()}/authgate",
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        bcrypt_cost=4,
        session_purge_interval=0,
        db_deadline=1.0,
    )
    app: Any = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://localhost"
        ) as client,
    ):
        yield client


@storages
async def test_health_answers_ok(service: Service) -> None:
    response = await service.client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@storages
async def test_readiness_answers_ready_when_the_database_answers(service: Service) -> None:
    response = await service.client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_without_a_database_the_process_is_alive_but_not_ready(
    service_without_database: httpx.AsyncClient,
) -> None:
    health = await service_without_database.get("/healthz")
    readiness = await service_without_database.get("/readyz")

    assert health.status_code == 200
    assert readiness.status_code == 503
    assert readiness.json() == {"message": "Service temporarily unavailable. Please try again."}
    assert readiness.headers["retry-after"]
