"""The audit trail: an event for each type, written with its change or not at all, read by
administrators newest first, and never holding a secret."""

import json
from datetime import timedelta
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryStorage
from adapters.sqlalchemy.audit import SqlAlchemyAuditTrail
from adapters.sqlalchemy.database import SqlAlchemyDatabase
from adapters.sqlalchemy.tables import audit_events, users
from application.admin.set_user_roles import SetUserRoles, SetUserRolesRequest
from application.common.client import Client
from application.operations.purge_audit_events import PurgeAuditEvents
from application.ports.audit import AuditTrail
from application.ports.caller import Caller
from application.shared.audit_log import AuditLog
from application.shared.identify_caller import OPERATOR
from domain.audit import AuditEvent, AuditEventType
from domain.roles import Role
from entrypoints.ioc import build_container
from entrypoints.settings import Settings
from testkit.webauthn_authenticator import SoftwareAuthenticator
from tests.fakes import ClockProvider, FakeClock
from tests.mfa import enrol, enrolled, mfa_token, second_step, totp, wrong_code
from tests.service import DEFAULT_PASSWORD, Service
from tests.storages import SQL_STORAGES, STORAGES

NEW_PASSWORD = "another long passphrase"
EVENT_KEYS = ["id", "at", "type", "userId", "actorId", "ip", "userAgent", "detail"]


@pytest.fixture(autouse=True)
async def empty_trail(service: Service) -> None:
    """The MySQL database is shared by the run; its trail starts empty here."""
    if not service.settings.database.uses_memory_storage:
        engine = await service.container.get(AsyncEngine)
        async with engine.begin() as connection:
            await connection.execute(delete(audit_events))


def auth(token: str) -> dict[str, str]:
    return {"x-access-token": token, "user-agent": "audit-test/1.0"}


async def trail(service: Service, token: str, query: str = "") -> list[dict[str, Any]]:
    response = await service.client.get(f"/api/admin/audit?{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def stored_events(service: Service) -> str:
    """Every stored event as text, to search for what must never be there."""
    if service.settings.database.uses_memory_storage:
        storage = await service.container.get(InMemoryStorage)
        return repr(storage.audit_events)
    engine = await service.container.get(AsyncEngine)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(audit_events))).all()
    return json.dumps([list(map(str, row)) for row in rows])


async def passkey_events(service: Service, token: str) -> dict[str, Any]:
    """A passkey added, used, presented by a clone, and removed; returns the signin answer."""
    authenticator = SoftwareAuthenticator()
    options = await service.client.post("/api/user/passkeys/options", headers=auth(token))
    added = await service.client.post(
        "/api/user/passkeys",
        json={"credential": authenticator.create(options.json())},
        headers=auth(token),
    )
    assert added.status_code == 200
    signins = []
    for sign_count in (None, 0):
        request = (await service.client.post("/api/auth/passkey/options", json={})).json()
        credential = authenticator.get(request, sign_count=sign_count)
        signins.append(
            await service.client.post("/api/auth/passkey", json={"credential": credential})
        )
    assert [response.status_code for response in signins] == [200, 401]
    service.client.cookies.clear()
    removed = await service.client.delete(
        f"/api/user/passkeys/{added.json()['id']}", headers=auth(token)
    )
    assert removed.status_code == 200
    answer: dict[str, Any] = signins[0].json()
    return answer


async def every_event_type(service: Service) -> dict[str, Any]:
    """Walks through every flow that writes an event; returns the secrets seen on the way."""
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    admin = auth(root["accessToken"])
    assert (await service.signup("alice")).status_code == 200
    alice_id = await service.backdoor.user_id("alice")
    signin = (await service.signin("alice")).json()
    service.client.cookies.clear()
    assert (await service.signin("alice", "wrong password!")).status_code == 401
    assert (await service.signin("nobody", DEFAULT_PASSWORD)).status_code == 401
    rotated = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": signin["refreshToken"]}
    )
    service.clock.advance(timedelta(seconds=60))
    reused = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": signin["refreshToken"]}
    )
    assert reused.status_code == 403
    second = (await service.signin("alice")).json()
    service.client.cookies.clear()
    changed = await service.client.post(
        "/api/user/password",
        json={"currentPassword": DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD},
        headers=auth(second["accessToken"]),
    )
    assert changed.status_code == 200
    await service.client.post("/api/auth/signout", headers=auth(second["accessToken"]))
    user_url = f"/api/admin/users/{alice_id}"
    put = await service.client.put(f"{user_url}/roles", json={"roles": ["user"]}, headers=admin)
    assert put.status_code == 200
    for action in ("disable", "enable"):
        assert (await service.client.post(f"{user_url}/{action}", headers=admin)).status_code == 200
    assert (await service.client.delete(f"{user_url}/sessions", headers=admin)).status_code == 200
    assert (await service.client.delete(user_url, headers=admin)).status_code == 200
    mfa_secrets = await walk_second_factor(service, admin)
    passkey_signin = await passkey_events(service, root["accessToken"])
    async with service.container(scope=Scope.REQUEST) as request_container:
        audit = await request_container.get(AuditLog)
        await audit.record_alone(
            AuditEventType.SIGNIN_THROTTLED,
            Client("192.0.2.7", "bot"),
            user_id=None,
            actor_id=None,
            detail={"limit": "address"},
        )
    return {
        "root": root,
        "alice_id": alice_id,
        "secrets": [
            DEFAULT_PASSWORD,
            NEW_PASSWORD,
            "wrong password!",
            signin["accessToken"],
            signin["refreshToken"],
            rotated.json()["refreshToken"],
            second["accessToken"],
            second["refreshToken"],
            passkey_signin["accessToken"],
            passkey_signin["refreshToken"],
            "$2b$",
            *mfa_secrets,
        ],
    }


async def walk_second_factor(service: Service, admin: dict[str, str]) -> list[str]:
    """Enables (mfa.enable), fails a code (mfa.failure), signs in with a recovery code
    (mfa.recovery_code), disables (mfa.disable), enables again and has an administrator reset
    it (mfa.reset); returns the secrets and codes seen on the way."""
    bob = await enrolled(service, "bob")
    token = await mfa_token(service, "bob")
    wrong = await second_step(service, token, code=wrong_code(bob.secret, service.clock))
    assert wrong.status_code == 401
    used = await second_step(service, token, recoveryCode=bob.recovery_codes[0])
    assert used.status_code == 200
    disabled = await service.client.request(
        "DELETE",
        "/api/user/mfa/totp",
        json={"password": DEFAULT_PASSWORD, "code": totp(bob.secret, service.clock)},
        headers=auth(bob.access_token),
    )
    assert disabled.status_code == 200
    secret = (await enrol(service, bob.access_token))["secret"]
    confirmed = await service.client.post(
        "/api/user/mfa/totp/confirm",
        json={"code": totp(secret, service.clock)},
        headers=auth(bob.access_token),
    )
    assert confirmed.status_code == 200
    reset = await service.client.delete(f"/api/admin/users/{bob.signin['id']}/mfa", headers=admin)
    assert reset.status_code == 200
    return [bob.secret, secret, token, *bob.recovery_codes, *confirmed.json()["recoveryCodes"]]


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_every_event_type_is_recorded_with_its_origin(service: Service) -> None:
    walk = await every_event_type(service)

    events = await trail(service, walk["root"]["accessToken"], "limit=200")

    types = {event["type"] for event in events}
    expected = {kind.value for kind in AuditEventType} - {"password.reset"}  # another issue's
    assert types == expected
    assert all(list(event) == EVENT_KEYS for event in events)
    ids = [event["id"] for event in events]
    assert ids == sorted(ids, reverse=True)
    disable = next(e for e in events if e["type"] == "user.disable")
    assert disable["userId"] == walk["alice_id"]
    assert disable["actorId"] == walk["root"]["id"]
    assert disable["ip"] == "127.0.0.1"
    assert disable["userAgent"] == "audit-test/1.0"
    roles = next(e for e in events if e["type"] == "roles.change")
    assert roles["detail"] == {"from": ["user"], "to": ["user"]}
    unknown = [e for e in events if e["type"] == "signin.failure" and e["userId"] is None]
    assert unknown[0]["detail"] == {"reason": "unknown user"}


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
@pytest.mark.parametrize("settings_overrides", [{"rate_limits": True}])
async def test_a_signin_limit_is_recorded_once_and_the_attempts_it_refuses_write_nothing(
    service: Service,
) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    await service.signup("alice")
    alice_id = await service.backdoor.user_id("alice")
    wrong = {"username": "alice", "password": "not the password at all"}
    failures = [await service.client.post("/api/auth/signin", json=wrong) for _ in range(5)]
    refused = [await service.client.post("/api/auth/signin", json=wrong) for _ in range(3)]

    assert [r.status_code for r in failures + refused] == [401] * 5 + [429] * 3
    events = await trail(service, root["accessToken"], f"userId={alice_id}")
    assert [e["type"] for e in events] == ["signin.throttled"] + ["signin.failure"] * 5 + ["signup"]
    assert events[0]["detail"] == {"limit": "signin_account_address"}


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_no_event_holds_a_password_a_token_or_a_hash(service: Service) -> None:
    walk = await every_event_type(service)

    stored = await stored_events(service)

    for secret in walk["secrets"]:
        assert secret not in stored
    assert "nobody" not in stored  # a name tried for no account may be a mistyped password


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_filters_and_cursor(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    for name in ("alice", "bob"):
        await service.signed_in(name)
    alice_id = await service.backdoor.user_id("alice")
    assert alice_id is not None
    token = root["accessToken"]

    alice = await trail(service, token, f"userId={alice_id}")
    signups = await trail(service, token, "type=signup")

    assert [e["type"] for e in alice] == ["signin.success", "signup"]
    assert [e["userId"] for e in signups] == [alice_id + 1, alice_id, root["id"]]
    walked: list[int] = []
    cursor = ""
    while True:
        response = await service.client.get(
            f"/api/admin/audit?limit=2&cursor={cursor}", headers=auth(token)
        )
        body = response.json()
        walked += [e["id"] for e in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert walked == [e["id"] for e in await trail(service, token)]
    bad = await service.client.get("/api/admin/audit?type=nonsense", headers=auth(token))
    assert bad.status_code == 400
    assert "type" in bad.json()["message"]


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_a_deleted_users_id_is_never_given_to_a_later_signup(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    token = root["accessToken"]
    await service.signed_in("alice")
    alice_id = await service.backdoor.user_id("alice")
    assert alice_id is not None
    deleted = await service.client.delete(f"/api/admin/users/{alice_id}", headers=auth(token))
    assert deleted.status_code == 200

    await service.signed_in("bob")
    bob_id = await service.backdoor.user_id("bob")

    assert bob_id is not None
    assert bob_id > alice_id
    alice = await trail(service, token, f"userId={alice_id}")
    assert [e["type"] for e in alice] == ["user.delete", "signin.success", "signup"]
    assert [e["type"] for e in await trail(service, token, f"userId={bob_id}")] == [
        "signin.success",
        "signup",
    ]


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_a_refused_change_leaves_no_event(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    headers = auth(root["accessToken"])
    before = await trail(service, root["accessToken"])

    refused = [
        await service.client.put(
            f"/api/admin/users/{root['id']}/roles", json={"roles": ["user"]}, headers=headers
        ),
        await service.client.post(f"/api/admin/users/{root['id']}/disable", headers=headers),
        await service.client.delete(f"/api/admin/users/{root['id']}", headers=headers),
        await service.client.post("/api/admin/users/999999/disable", headers=headers),
        await service.client.post(
            "/api/user/password",
            json={"currentPassword": DEFAULT_PASSWORD, "newPassword": "short"},
            headers=headers,
        ),
    ]

    assert [r.status_code for r in refused] == [409, 409, 409, 404, 400]
    assert await trail(service, root["accessToken"]) == before


@pytest.mark.parametrize("database_url", STORAGES, indirect=True)
async def test_events_older_than_the_retention_are_purged(service: Service) -> None:
    root = await service.signed_in("root", {Role.USER, Role.ADMIN})
    service.clock.advance(timedelta(days=service.settings.database.audit_retention_days))
    await service.signed_in("alice")
    service.clock.advance(timedelta(seconds=1))

    async with service.container(scope=Scope.REQUEST) as request_container:
        purged = await (await request_container.get(PurgeAuditEvents)).execute()

    assert purged == 2  # root's signup and signin
    remaining = await trail(service, (await service.signin("root")).json()["accessToken"])
    assert {e["type"] for e in remaining} >= {"signup", "signin.success"}
    assert all(e["userId"] != root["id"] or e["type"] == "signin.success" for e in remaining)


class _FailingTrail(SqlAlchemyAuditTrail):
    async def record(self, event: AuditEvent) -> None:
        await super().record(event)
        if event.type is AuditEventType.ROLES_CHANGE:
            raise RuntimeError("the disk is full")


class _FailingTrailProvider(Provider):
    @provide(scope=Scope.REQUEST)
    def trail(self, database: SqlAlchemyDatabase) -> AuditTrail:
        return _FailingTrail(database)


@pytest.mark.parametrize("database_url", SQL_STORAGES, indirect=True)
async def test_a_change_whose_event_fails_is_rolled_back_with_it(
    service: Service, settings: Settings, clock: FakeClock
) -> None:
    alice = await service.signed_in("alice")
    container = build_container(settings, ClockProvider(clock), _FailingTrailProvider())
    try:
        context = {Caller: OPERATOR}
        async with container(scope=Scope.REQUEST, context=context) as request_container:
            use_case = await request_container.get(SetUserRoles)
            with pytest.raises(RuntimeError):
                await use_case.execute(SetUserRolesRequest(alice["id"], ["moderator"]))
    finally:
        await container.close()

    engine = await service.container.get(AsyncEngine)
    async with engine.connect() as connection:
        kinds = (await connection.execute(select(audit_events.c.type))).scalars().all()
        still_there = await connection.scalar(select(users.c.id).where(users.c.id == alice["id"]))
    assert "roles.change" not in kinds
    assert still_there == alice["id"]
    assert (await service.get("/api/test/mod", alice["accessToken"])).status_code == 403
