"""The OpenAPI document tells the truth: schemathesis (every check, schemathesis.toml) against
the app finds no answer the document does not describe, no crash, and no schema-valid request
refused or invalid one accepted."""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from prometheus_client import REGISTRY
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from adapters.mail.delivery import BackgroundMailDelivery
from application.ports import OutgoingMail
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import MEMORY_DATABASE_URL, Settings
from tests.service import Service
from tests.storages import STORAGES
from tests.tokens import TEST_SECRET

CONFIG = Path(__file__).parents[2] / "schemathesis.toml"


# The protected pages answer 200 only to a signed-in user: schemathesis signs this one in.
_SIGNED_IN = """
[auth.dynamic.openapi.accessTokenHeader]
path = "/api/auth/signin"
payload = { username = "schemathesis", password = "correct horse battery" }
extract_selector = "/accessToken"
"""


def _run(app: Any) -> tuple[int, Counter[str]]:
    """(cases run, failures by operation and check) of one schemathesis run, as `st run
    --checks all` would make it."""
    config = SchemathesisConfig.from_str(CONFIG.read_text() + _SIGNED_IN)
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", app, config=config)
    schema.config.checks.update(included_check_names=["all"])
    cases, failures = 0, Counter[str]()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if (info := check.failure_info) is not None:
                        found = f"{info.failure.title}: {info.code_sample}"
                        failures[f"{event.recorder.label}: {check.name}: {found}"] += 1
        elif isinstance(event, events.NonFatalError):
            failures[f"error: {event.info}"] += 1
        elif isinstance(event, events.FatalError):
            raise event.exception
    return cases, failures


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_schemathesis_finds_nothing_the_document_does_not_say(tmp_path: Path) -> None:
    settings = Settings(
        database_url=MEMORY_DATABASE_URL,
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        bcrypt_cost=4,
        session_purge_interval=0,
    )

    container = build_container(settings)
    app: Any = create_app(settings, container)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://localhost"
    ) as client:
        signup = {
            "username": "schemathesis",
            "email": "schemathesis@example.com",
            "password": "correct horse battery",
        }
        assert (await client.post("/api/auth/signup", json=signup)).status_code == 200
    # The signup's verification mail goes out on this loop; schemathesis serves the app on a
    # loop of its own, which cannot wait for a task of this one when the app stops.
    mail = await container.get(OutgoingMail)
    assert isinstance(mail, BackgroundMailDelivery)
    while mail.pending:  # noqa: ASYNC110 - the delivery has no event to wait on
        await asyncio.sleep(0.01)

    read_before = _user_content_read()

    cases, failures = _run(app)

    print(f"schemathesis: {cases} cases, {sum(failures.values())} failures")
    assert not failures
    assert cases > 200
    assert _user_content_read() > read_before, "schemathesis signed in and read a protected page"


def _user_content_read() -> float:
    value = REGISTRY.get_sample_value(
        "authgate_http_requests_total",
        {"method": "GET", "route": "/api/test/user", "status": "200"},
    )
    return value or 0.0


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.parametrize("database_url", STORAGES[:1], indirect=True)
async def test_every_refusal_is_documented_as_a_message(service: Service) -> None:
    document = await _document(service.client)

    refusals = {
        (path, method, status): answer["content"]["application/json"]["schema"]["$ref"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if not status.startswith("2")
    }
    assert refusals
    assert set(refusals.values()) <= {
        "#/components/schemas/MessageBody",
        "#/components/schemas/SigninRefusal",
    }
    assert document["components"]["schemas"]["MessageBody"]["required"] == ["message"]
    assert refusals["/api/auth/signin", "post", "401"].endswith("SigninRefusal")
    assert ("/api/test/admin", "get", "403") in refusals


@pytest.mark.parametrize("database_url", STORAGES[:1], indirect=True)
async def test_optional_bodies_are_documented_as_optional(service: Service) -> None:
    paths = (await _document(service.client))["paths"]

    assert paths["/api/auth/signout"]["post"]["requestBody"]["required"] is False
    assert paths["/api/auth/refreshtoken"]["post"]["requestBody"]["required"] is False
    assert paths["/api/auth/signup"]["post"]["requestBody"]["required"] is True
