"""The OpenAPI document tells the truth: schemathesis (every check, schemathesis.toml) against
the app finds no answer the document does not describe, no crash, and no schema-valid request
refused or invalid one accepted."""

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from entrypoints.http.app import create_app
from entrypoints.settings import MEMORY_DATABASE_URL, Settings
from tests.conftest import STORAGES, TEST_SECRET
from tests.support import Service

CONFIG = Path(__file__).parents[2] / "schemathesis.toml"


def _run(app: Any) -> tuple[int, Counter[str]]:
    """(cases run, failures by operation and check) of one schemathesis run, as `st run
    --checks all` would make it."""
    config = SchemathesisConfig.from_path(CONFIG)
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
def test_schemathesis_finds_nothing_the_document_does_not_say(tmp_path: Path) -> None:
    settings = Settings(
        database_url=MEMORY_DATABASE_URL,
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        bcrypt_cost=4,
        session_purge_interval=0,
    )

    cases, failures = _run(create_app(settings))

    print(f"schemathesis: {cases} cases, {sum(failures.values())} failures")
    assert not failures
    assert cases > 200


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
