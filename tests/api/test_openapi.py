"""The OpenAPI document tells the truth: schemathesis (every check, schemathesis.toml) against
the app finds no answer the document does not describe, no crash, and no schema-valid request
refused or invalid one accepted."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from dishka import Scope
from prometheus_client import REGISTRY
from schemathesis import Case, HookContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.engine import events, from_schema

from application.admin.create_administrator import CreateAdministrator, CreateAdministratorRequest
from entrypoints.http.app import create_app
from entrypoints.ioc import build_container
from entrypoints.settings import MEMORY_DATABASE_URL, Settings
from tests.service import Service
from tests.storages import STORAGES
from tests.tokens import TEST_SECRET

CONFIG = Path(__file__).parents[2] / "schemathesis.toml"


# The protected pages answer 200 only to a signed-in user: schemathesis signs this one in, an
# administrator, so that the admin pages are tried past their 403 too.
_ADMINISTRATOR = {
    "username": "schemathesis",
    "email": "schemathesis@example.com",
    "password": "correct horse battery",
}
# A token that stops working (schemathesis ended its own sessions: DELETE /api/user/sessions,
# say) answers 401, and a 401 makes schemathesis sign in again for the next case (`retry-on`,
# 401 by default).
_SIGNED_IN = f"""
[auth.dynamic.openapi.accessTokenHeader]
path = "/api/auth/signin"
payload = {{ username = "{_ADMINISTRATOR["username"]}", password = "{_ADMINISTRATOR["password"]}" }}
extract_selector = "/accessToken"
"""


# What would lock schemathesis out for the rest of the run if it did it to its own account: its
# signin refused (disabled, deleted) or its admin pages (demoted). While it is the only enabled
# administrator the service refuses all three with 409, but the run may sign up another
# administrator or grant the role, and then they would go through: schemathesis leaves its own
# account alone there (the 409s have their tests, test_admin.py and test_account.py).
_OWN_ACCOUNT_CHANGES = {
    ("POST", "/api/admin/users/{user_id}/disable"),
    ("DELETE", "/api/admin/users/{user_id}"),
    ("PUT", "/api/admin/users/{user_id}/roles"),
}


@dataclass
class _Run:
    operations: int
    cases: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    """By operation and check."""
    untested: set[str] = field(default_factory=set)
    """Operations of the document no case was run against."""


def _run(app: Any, own_id: int) -> _Run:
    """One schemathesis run, as `st run --checks all` would make it, signed in as the
    administrator `own_id`."""
    config = SchemathesisConfig.from_str(CONFIG.read_text() + _SIGNED_IN)
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", app, config=config)
    schema.config.checks.update(included_check_names=["all"])

    @schema.hook
    def filter_case(_: HookContext, case: Case[Any]) -> bool:
        return (case.method.upper(), case.path) not in _OWN_ACCOUNT_CHANGES or str(
            (case.path_parameters or {}).get("user_id")
        ) != str(own_id)

    # An operation schemathesis cannot read is an error event of the run, so a failure too.
    labels = {result.ok().label for result in schema.get_all_operations() if isinstance(result, Ok)}
    run = _Run(operations=len(labels), untested=labels)
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            run.cases += len(event.recorder.cases)
            run.untested -= {case.value.operation.label for case in event.recorder.cases.values()}
            for checks in event.recorder.checks.values():
                for check in checks:
                    if (info := check.failure_info) is not None:
                        found = f"{info.failure.title}: {info.code_sample}"
                        run.failures[f"{event.recorder.label}: {check.name}: {found}"] += 1
        elif isinstance(event, events.NonFatalError):
            run.failures[f"error: {event.phase} {event.label}: {event.info}"] += 1
        elif isinstance(event, events.FatalError):
            raise event.exception
    return run


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_schemathesis_finds_nothing_the_document_does_not_say(tmp_path: Path) -> None:
    settings = Settings.of(
        database_url=MEMORY_DATABASE_URL,
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        bcrypt_cost=4,
        session_purge_interval=0,
        # schemathesis learns the username from /api/user/me and tries passwords for it: with
        # rate limits its own signin would be throttled after five. Limits have tests of their
        # own (test_throttling.py); the 429s are documented all the same.
        rate_limits=False,
    )

    container = build_container(settings)
    app: Any = create_app(settings, container)
    # An administrator, made as an operator makes the first one: the admin pages then answer
    # their 200 and 404 too, not only 403.
    async with container(scope=Scope.REQUEST) as request_container:
        create = await request_container.get(CreateAdministrator)
        own_id = await create.execute(CreateAdministratorRequest(**_ADMINISTRATOR))
    read_before = _answered("/api/test/user")

    users_listed_before = _answered("/api/admin/users")

    run = _run(app, own_id)

    print(
        f"schemathesis: {run.cases} cases over {run.operations} operations, "
        f"{sum(run.failures.values())} failures"
    )
    assert not run.failures
    assert not run.untested
    assert run.cases > 200
    assert _answered("/api/test/user") > read_before, "schemathesis read a protected page"
    assert _answered("/api/admin/users") > users_listed_before, "and an administrator's page"


def _answered(route: str) -> float:
    """GET requests of the route answered 200 so far, by the app's own metrics."""
    value = REGISTRY.get_sample_value(
        "authgate_http_requests_total", {"method": "GET", "route": route, "status": "200"}
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


@pytest.mark.parametrize("database_url", STORAGES[:1], indirect=True)
async def test_every_operation_refusing_a_bad_token_says_where_the_token_goes(
    service: Service,
) -> None:
    """Without `security`, a client generated from the document (or schemathesis) never sends
    the token, and sees only the 403 of a missing one."""
    paths = (await _document(service.client))["paths"]

    needing_a_token = {
        (path, method)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "token" in operation["responses"].get("401", {}).get("description", "")
    }
    assert ("/api/admin/users", "get") in needing_a_token
    assert {
        (path, method)
        for path, method in needing_a_token
        if not paths[path][method].get("security")
    } == set()


@pytest.mark.parametrize("database_url", STORAGES[:1], indirect=True)
async def test_the_key_set_discovery_and_introspection_are_documented(service: Service) -> None:
    document = await _document(service.client)
    paths = document["paths"]

    jwks = paths["/.well-known/jwks.json"]["get"]["responses"]
    assert jwks["200"]["content"]["application/json"]["schema"]["$ref"].endswith("JwksAnswer")
    assert set(jwks) == {"200", "503"}
    assert "200" in paths["/.well-known/openid-configuration"]["get"]["responses"]
    introspect = paths["/api/auth/introspect"]["post"]
    assert set(introspect["responses"]) == {"200", "400", "401", "403", "413", "415", "503"}
    assert set(introspect["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert introspect["security"] == [{"introspectionClient": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["introspectionClient"] == {"type": "http", "scheme": "basic"}
