"""What operators ask of a running process: alive, ready, and (below) its metrics and logs."""

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from domain.roles import Role
from entrypoints.http.app import create_app
from entrypoints.logs import JsonFormatter, RequestIdFilter
from entrypoints.settings import Settings
from testkit.servers import free_port
from tests.known_metrics import FAMILIES, KNOWN_SERIES, help_texts, known_series
from tests.service import DEFAULT_PASSWORD, Service
from tests.storages import STORAGES
from tests.tokens import TEST_SECRET

storages = pytest.mark.parametrize("database_url", STORAGES, indirect=True)


@pytest.fixture(params=["mysql", "postgresql"], ids=["mysql", "postgres"])
async def service_without_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a MySQL or PostgreSQL URL where nothing listens: every database call is
    refused."""
    settings = Settings.of(
        database_url=f"{request.param}://root@127.0.0.1:{free_port()}/authgate",
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


@pytest.mark.parametrize("database_url", ["memory"], indirect=True)
async def test_metrics_show_every_family_and_every_known_series_from_the_start(
    service: Service,
) -> None:
    """Found by a review: the throttled and unavailable families, help text included, appeared
    only after their first event, so no alert or rate() over them worked before it.
    (tests/processes/test_metrics_workers.py checks the values are 0 in a fresh server.)"""
    text = (await service.client.get("/metrics")).text

    helps = help_texts(text)
    assert helps.keys() >= FAMILIES
    assert all(helps[family] for family in FAMILIES)
    assert {name: set(values) for name, values in known_series(text).items()} == {
        name: set(values) for name, (_, values) in KNOWN_SERIES.items()
    }


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


@pytest.mark.parametrize("database_url", ["memory"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": ("127.0.0.1",)}])
@pytest.mark.parametrize(
    "forwarded", ["198.51.100.7:4444", "[2001:db8::7]:4444", "2001:db8::7", "garbage", "127.0.0.1:"]
)
async def test_metrics_are_refused_to_a_client_forwarded_by_a_trusted_proxy(
    service: Service, forwarded: str
) -> None:
    """Found by a review: from a trusted proxy on loopback, `198.51.100.7:4444` was taken for
    no address and the client for the proxy itself, which /metrics allows."""
    refused = await service.client.get("/metrics", headers={"x-forwarded-for": forwarded})
    the_proxy_itself = await service.client.get("/metrics")

    assert refused.status_code == 403
    assert refused.json() == {"message": "Metrics are not served to this address."}
    assert the_proxy_itself.status_code == 200


async def test_database_failures_are_counted_by_kind(
    service_without_database: httpx.AsyncClient,
) -> None:
    client, series = service_without_database, "authgate_unavailable_total"
    before = await _sample(client, series, kind="unreachable")

    await client.get("/readyz")

    assert await _sample(client, series, kind="unreachable") == before + 1


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log line of the test, formatted as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """The service's own lines (not the test client's)."""
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"].startswith("authgate")]


def _access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in _lines(stream) if line["logger"] == "authgate.access"]


@storages
async def test_a_plausible_request_id_is_echoed_and_on_the_access_line(
    service: Service, log_lines: io.StringIO
) -> None:
    response = await service.client.get(
        "/api/test/all", headers={"X-Request-ID": "client-id_1.2:3"}
    )

    assert response.headers["x-request-id"] == "client-id_1.2:3"
    [line] = _access_lines(log_lines)
    assert line["request_id"] == "client-id_1.2:3"
    assert line["method"] == "GET"
    assert line["route"] == "/api/test/all"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["client"] == "127.0.0.1"
    assert line["user_id"] is None


@storages
@pytest.mark.parametrize("given", [None, "x" * 65, "has space", "semi;colon", ""])
async def test_a_missing_or_implausible_request_id_is_replaced_by_a_new_one(
    service: Service, log_lines: io.StringIO, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-ID": given}

    first = await service.client.get("/api/test/all", headers=headers)
    second = await service.client.get("/api/test/all", headers=headers)

    generated = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]+", rid) for rid in generated)
    assert generated[0] != generated[1]
    assert [line["request_id"] for line in _access_lines(log_lines)] == generated


@storages
async def test_the_access_line_names_the_signed_in_user(
    service: Service, log_lines: io.StringIO
) -> None:
    user = await service.signed_in("alice")
    user_id = await service.backdoor.user_id("alice")

    await service.get("/api/test/user", user["accessToken"])

    signin, read = _access_lines(log_lines)[-2:]
    assert (signin["route"], signin["user_id"]) == ("/api/auth/signin", user_id)
    assert (read["route"], read["user_id"]) == ("/api/test/user", user_id)


@storages
async def test_every_authenticated_request_names_its_user_on_its_access_line(
    service: Service, log_lines: io.StringIO
) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    alice = await service.signed_in("alice")
    root_id = await service.backdoor.user_id("root")
    alice_id = await service.backdoor.user_id("alice")
    requests = [
        ("/api/user/me", alice, alice_id),
        ("/api/user/sessions", alice, alice_id),
        ("/api/test/mod", alice, alice_id),  # refused for the role: still alice's request
        ("/api/admin/users", root, root_id),
        ("/api/admin/audit", root, root_id),
        (f"/api/admin/users/{alice_id}", root, root_id),
    ]

    for path, user, _ in requests:
        await service.get(path, user["accessToken"])

    named = [(line["route"], line["user_id"]) for line in _access_lines(log_lines)]
    assert named[-len(requests) :] == [
        (path.replace(str(alice_id), "{user_id}"), user_id) for path, _, user_id in requests
    ]


async def test_every_line_of_a_request_carries_its_request_id(
    service_without_database: httpx.AsyncClient, log_lines: io.StringIO
) -> None:
    response = await service_without_database.get("/readyz", headers={"X-Request-ID": "ready-1"})

    assert response.status_code == 503
    lines = _lines(log_lines)
    assert [line["logger"] for line in lines] == ["authgate", "authgate.access"]
    assert {line["request_id"] for line in lines} == {"ready-1"}
    assert "service unavailable" in lines[0]["message"]


@storages
async def test_no_password_token_or_hash_reaches_a_log_line(
    service: Service, log_lines: io.StringIO
) -> None:
    client = service.client
    password, wrong = "s3cret passphrase!", "wrong passphrase?"
    assert (await service.signup("alice", password=password)).status_code == 200
    assert (await service.signup("bob", password="tiny")).status_code == 400
    assert (await service.signin("alice", wrong)).status_code == 401
    signin = (await service.signin("alice", password)).json()
    client.cookies.clear()
    await service.get("/api/test/user", signin["accessToken"])
    await service.get("/api/test/admin", signin["accessToken"])
    await client.get("/api/test/user", headers={"Authorization": f"Bearer {signin['accessToken']}"})
    refreshed = (
        await client.post("/api/auth/refreshtoken", json={"refreshToken": signin["refreshToken"]})
    ).json()
    reused = await client.post("/api/auth/refreshtoken", json={"refreshToken": "not-a-token"})
    forged = signin["accessToken"][:-4] + "AAAA"
    await service.get("/api/test/user", forged)
    await client.post(
        "/api/auth/signout",
        json={"refreshToken": refreshed["refreshToken"]},
        headers={"x-access-token": refreshed["accessToken"]},
    )
    truncated = f'{{"username": "alice", "password": "{password}"'
    await client.post("/api/auth/signin", content=truncated)
    user_id = await service.backdoor.user_id("alice")
    assert user_id is not None
    stored_hash = await service.backdoor.password_hash(user_id)

    text = log_lines.getvalue()
    assert reused.status_code == 403
    assert len(_access_lines(log_lines)) == 12
    secrets = [
        password,
        wrong,
        "tiny",
        signin["accessToken"],
        signin["refreshToken"],
        refreshed["accessToken"],
        refreshed["refreshToken"],
        "not-a-token",
        forged,
        stored_hash,
    ]
    # The signature alone, too: a log that cut a token short would still leak it.
    secrets += [token.rsplit(".", 1)[-1] for token in (signin["accessToken"], forged)]
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked


@pytest.mark.parametrize("database_url", ["memory"], indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"access_log": False}])
async def test_the_access_log_can_be_turned_off(service: Service, log_lines: io.StringIO) -> None:
    response = await service.client.get("/api/test/all", headers={"X-Request-ID": "quiet-1"})

    assert response.headers["x-request-id"] == "quiet-1"
    assert _access_lines(log_lines) == []
