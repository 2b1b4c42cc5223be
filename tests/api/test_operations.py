"""What operators ask of a running process: alive, ready, and (below) its metrics and logs."""

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import STORAGES, TEST_SECRET
from tests.support import DEFAULT_PASSWORD, Service

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


async def _sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The value of one series as /metrics shows it now; 0 when it does not exist yet."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@storages
async def test_metrics_count_requests_by_route_template_and_status(service: Service) -> None:
    client = service.client
    public = {"method": "GET", "route": "/api/test/all", "status": "200"}
    refused = {"method": "GET", "route": "/api/test/user", "status": "403"}
    before = await _sample(client, "authgate_http_requests_total", **public)
    refused_before = await _sample(client, "authgate_http_requests_total", **refused)
    timed_before = await _sample(
        client, "authgate_http_request_duration_seconds_count", method="GET", route="/api/test/all"
    )

    for _ in range(3):
        await client.get("/api/test/all")
    await client.get("/api/test/user")

    assert await _sample(client, "authgate_http_requests_total", **public) == before + 3
    assert await _sample(client, "authgate_http_requests_total", **refused) == refused_before + 1
    assert (
        await _sample(
            client,
            "authgate_http_request_duration_seconds_count",
            method="GET",
            route="/api/test/all",
        )
        == timed_before + 3
    )


@storages
async def test_unknown_paths_share_one_series(service: Service) -> None:
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    before = await _sample(service.client, "authgate_http_requests_total", **unmatched)

    await service.client.get("/api/one/path")
    await service.client.get("/api/another/path")

    text = (await service.client.get("/metrics")).text
    assert await _sample(service.client, "authgate_http_requests_total", **unmatched) == before + 2
    assert "/api/one/path" not in text


@storages
async def test_metrics_count_signin_and_refresh_outcomes_and_hashing_waits(
    service: Service,
) -> None:
    client = service.client
    names = ("success", "failure")
    signins = {o: await _sample(client, "authgate_signins_total", outcome=o) for o in names}
    rotations = await _sample(client, "authgate_refreshes_total", outcome="rotate")
    waits = await _sample(client, "authgate_hashing_wait_seconds_count")

    user = await service.signed_in("alice")
    await service.signin("alice", DEFAULT_PASSWORD + "!")
    await client.post("/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]})

    assert await _sample(client, "authgate_signins_total", outcome="success") == (
        signins["success"] + 1
    )
    assert await _sample(client, "authgate_signins_total", outcome="failure") == (
        signins["failure"] + 1
    )
    assert await _sample(client, "authgate_refreshes_total", outcome="rotate") == rotations + 1
    assert await _sample(client, "authgate_hashing_wait_seconds_count") >= waits + 3


@pytest.mark.parametrize("database_url", ["memory"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"metrics_allow": ("10.0.0.0/8",)}])
async def test_metrics_are_refused_outside_the_allowed_addresses(service: Service) -> None:
    response = await service.client.get("/metrics")

    assert response.status_code == 403
    assert response.json() == {"message": "Metrics are not served to this address."}


async def test_database_failures_are_counted_by_kind(
    service_without_database: httpx.AsyncClient,
) -> None:
    client, series = service_without_database, "authgate_unavailable_total"
    before = await _sample(client, series, kind="unreachable")

    await client.get("/readyz")

    assert await _sample(client, series, kind="unreachable") == before + 1
