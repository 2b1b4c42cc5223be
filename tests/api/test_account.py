"""Your account: GET /api/user/me, password change, account deletion, own sessions."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import async_url
from domain.roles import Role
from tests.service import DEFAULT_PASSWORD, Service
from tests.storages import STORAGES

pytestmark = pytest.mark.parametrize("database_url", STORAGES, indirect=True)

NEW_PASSWORD = "a brand new passphrase"
UNAUTHORIZED = {"message": "Unauthorized!"}


def auth(token: str) -> dict[str, str]:
    return {"x-access-token": token}


async def signin(service: Service, username: str, password: str = DEFAULT_PASSWORD) -> Any:
    response = await service.client.post(
        "/api/auth/signin",
        json={"username": username, "password": password},
        headers={"user-agent": f"agent of {username}"},
    )
    assert response.status_code == 200, response.text
    service.client.cookies.clear()
    return response.json()


async def change_password(
    service: Service, token: str, current: str, new: str = NEW_PASSWORD
) -> Response:
    return await service.client.post(
        "/api/user/password",
        json={"currentPassword": current, "newPassword": new},
        headers=auth(token),
    )


async def test_me_answers_the_callers_account(service: Service) -> None:
    user = await service.signed_in("alice", {Role.USER, Role.MODERATOR})

    response = await service.get("/api/user/me", user["accessToken"])

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "id",
        "username",
        "email",
        "roles",
        "emailVerified",
        "createdAt",
        "mfa",
        "passkeys",
    ]
    assert body["id"] == user["id"]
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["roles"] == ["ROLE_USER", "ROLE_MODERATOR"]
    assert body["emailVerified"] is False
    assert body["createdAt"]
    assert body["mfa"] == {"totp": False, "recoveryCodesLeft": 0}
    assert body["passkeys"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/user/me"),
        ("DELETE", "/api/user/me"),
        ("POST", "/api/user/password"),
        ("GET", "/api/user/sessions"),
        ("DELETE", "/api/user/sessions"),
        ("DELETE", "/api/user/sessions/abc"),
    ],
)
async def test_account_endpoints_need_a_token(service: Service, method: str, path: str) -> None:
    body = {"password": "x", "currentPassword": "x", "newPassword": "y" * 8}
    response = await service.client.request(method, path, json=body)

    assert response.status_code == 403
    assert response.json() == {"message": "No token provided!"}


async def test_the_token_is_taken_from_bearer_and_cookie_too(service: Service) -> None:
    user = await service.signed_in("alice")
    bearer = {"authorization": f"Bearer {user['accessToken']}"}

    assert (await service.client.get("/api/user/me", headers=bearer)).status_code == 200
    service.client.cookies.set("authgate-access-token", user["accessToken"])
    assert (await service.client.get("/api/user/me")).status_code == 200


async def test_a_password_change_ends_every_other_session_but_this_one(service: Service) -> None:
    await service.signed_in("alice")
    mine = await signin(service, "alice")
    other = await signin(service, "alice")

    response = await change_password(service, mine["accessToken"], DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert response.json() == {"message": "Password changed."}
    assert (await service.get("/api/user/me", other["accessToken"])).json() == UNAUTHORIZED
    refreshed = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": other["refreshToken"]}
    )
    assert refreshed.status_code == 403
    assert (await service.get("/api/user/me", mine["accessToken"])).status_code == 200
    assert (await service.signin("alice")).status_code == 401
    assert (await service.signin("alice", NEW_PASSWORD)).status_code == 200


async def test_a_wrong_current_password_changes_nothing(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await change_password(service, user["accessToken"], "not my password")

    assert response.status_code == 400
    assert response.json() == {"message": "Current password is incorrect."}
    assert (await service.signin("alice")).status_code == 200


@pytest.mark.parametrize("new", ["short", "é" * 37])
async def test_the_new_password_follows_the_signup_rules(service: Service, new: str) -> None:
    user = await service.signed_in("alice")

    response = await change_password(service, user["accessToken"], DEFAULT_PASSWORD, new)

    assert response.status_code == 400
    assert "newPassword" in response.json()["message"]


async def test_a_password_change_needs_both_fields(service: Service) -> None:
    user = await service.signed_in("alice")

    response = await service.client.post(
        "/api/user/password",
        json={"currentPassword": DEFAULT_PASSWORD},
        headers=auth(user["accessToken"]),
    )

    assert response.status_code == 400
    assert "newPassword" in response.json()["message"]


async def test_deleting_the_account_needs_the_password_and_ends_every_session(
    service: Service,
) -> None:
    user = await service.signed_in("alice")
    other = await signin(service, "alice")
    url, headers = "/api/user/me", auth(user["accessToken"])

    wrong = await service.client.request("DELETE", url, json={"password": "nope"}, headers=headers)
    assert wrong.status_code == 400
    assert wrong.json() == {"message": "Current password is incorrect."}

    response = await service.client.request(
        "DELETE", url, json={"password": DEFAULT_PASSWORD}, headers=headers
    )

    assert response.status_code == 200
    assert response.json() == {"message": "Account deleted."}
    assert await service.backdoor.user_id("alice") is None
    for token in (user["accessToken"], other["accessToken"]):
        assert (await service.get("/api/test/user", token)).json() == UNAUTHORIZED
    assert (await service.signin("alice")).status_code == 401


async def test_the_last_administrator_cannot_delete_themselves(service: Service) -> None:
    admin = await service.signed_in("root", {Role.USER, Role.ADMIN})

    response = await service.client.request(
        "DELETE",
        "/api/user/me",
        json={"password": DEFAULT_PASSWORD},
        headers=auth(admin["accessToken"]),
    )

    assert response.status_code == 409
    assert response.json() == {"message": "The last administrator cannot be removed."}
    assert await service.backdoor.user_id("root") is not None


async def test_an_administrator_may_leave_while_another_remains(service: Service) -> None:
    admin = await service.signed_in("root", {Role.USER, Role.ADMIN})
    await service.signed_in("second", {Role.ADMIN})

    response = await service.client.request(
        "DELETE",
        "/api/user/me",
        json={"password": DEFAULT_PASSWORD},
        headers=auth(admin["accessToken"]),
    )

    assert response.status_code == 200


async def test_sessions_list_the_callers_live_sessions(service: Service) -> None:
    await service.signed_in("alice")
    first = await signin(service, "alice")
    second = await signin(service, "alice")
    await service.signed_in("bob")
    await service.client.post("/api/auth/signout", headers=auth(first["accessToken"]))

    response = await service.get("/api/user/sessions", second["accessToken"])

    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2  # the helper's own signin, and `second`; `first` ended
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1
    assert list(current[0]) == [
        "id",
        "createdAt",
        "expiresAt",
        "lastUsedAt",
        "userAgent",
        "ip",
        "current",
    ]
    assert current[0]["userAgent"] == "agent of alice"
    assert current[0]["ip"] == "127.0.0.1"
    assert current[0]["lastUsedAt"] == current[0]["createdAt"]


async def test_a_refresh_updates_last_use_and_a_protected_read_does_not(service: Service) -> None:
    user = await service.signed_in("alice")

    async def last_used() -> str:
        listed = (await service.get("/api/user/sessions", user["accessToken"])).json()
        value: str = listed[0]["lastUsedAt"]
        return value

    before = await last_used()
    service.clock.advance(timedelta(seconds=120))
    assert (await service.get("/api/test/user", user["accessToken"])).status_code == 200
    assert await last_used() == before

    refreshed = await service.client.post(
        "/api/auth/refreshtoken", json={"refreshToken": user["refreshToken"]}
    )
    user["accessToken"] = refreshed.json()["accessToken"]
    assert await last_used() > before


async def test_ending_one_session(service: Service) -> None:
    await service.signed_in("alice")
    mine = await signin(service, "alice")
    other = await signin(service, "alice")
    bob = await service.signed_in("bob")
    listed = (await service.get("/api/user/sessions", mine["accessToken"])).json()
    other_id = next(s["id"] for s in listed if not s["current"] and s["id"] != mine["id"])
    bobs = (await service.get("/api/user/sessions", bob["accessToken"])).json()[0]["id"]
    headers = auth(mine["accessToken"])

    for unknown in (bobs, "0" * 32, "nonsense"):
        response = await service.client.delete(f"/api/user/sessions/{unknown}", headers=headers)
        assert response.status_code == 404
        assert response.json() == {"message": "Session not found."}
    assert (await service.get("/api/test/user", bob["accessToken"])).status_code == 200

    ended = await service.client.delete(f"/api/user/sessions/{other_id}", headers=headers)

    assert ended.status_code == 200
    assert ended.json() == {"message": "Session ended."}
    remaining = (await service.get("/api/user/sessions", mine["accessToken"])).json()
    assert other_id not in [s["id"] for s in remaining]
    assert len(remaining) == 2
    del other  # which of the two sessions `other_id` was does not matter


async def test_ending_every_session_includes_the_current_one(service: Service) -> None:
    user = await service.signed_in("alice")
    other = await signin(service, "alice")

    response = await service.client.delete("/api/user/sessions", headers=auth(user["accessToken"]))

    assert response.status_code == 200
    assert response.json() == {"message": "Sessions ended."}
    for token in (user["accessToken"], other["accessToken"]):
        assert (await service.get("/api/test/user", token)).json() == UNAUTHORIZED


async def test_a_password_change_racing_a_refresh_of_another_session_ends_it(
    service: Service,
) -> None:
    """Whichever commits first, the other session ends: its refresh token, and any pair the
    racing refresh handed out, stop working."""
    await service.signed_in("alice")
    for _ in range(10):
        mine = await signin(service, "alice")
        other = await signin(service, "alice")
        change, refresh = await asyncio.gather(
            change_password(service, mine["accessToken"], DEFAULT_PASSWORD, NEW_PASSWORD),
            service.client.post(
                "/api/auth/refreshtoken", json={"refreshToken": other["refreshToken"]}
            ),
        )
        assert change.status_code == 200, change.text
        assert refresh.status_code in (200, 403), refresh.text
        tokens = [other]
        if refresh.status_code == 200:
            tokens.append(refresh.json())
        for pair in tokens:
            assert (await service.get("/api/test/user", pair["accessToken"])).status_code == 401
            again = await service.client.post(
                "/api/auth/refreshtoken", json={"refreshToken": pair["refreshToken"]}
            )
            assert again.status_code == 403
        # Back to the default password for the next round.
        assert (
            await change_password(service, mine["accessToken"], NEW_PASSWORD, DEFAULT_PASSWORD)
        ).status_code == 200


async def test_a_protected_read_writes_nothing(service: Service) -> None:
    """Last use is not recorded per request: /api/test/user stays one read (on the
    driver's own pool on MySQL and PostgreSQL, so none through the engine) and no write."""
    if service.settings.database.uses_memory_storage:
        pytest.skip("counts SQL statements")
    user = await service.signed_in("alice")
    engine = await service.container.get(AsyncEngine)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert (await service.get("/api/test/user", user["accessToken"])).status_code == 200
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    own_pool = async_url(service.settings.database.url).get_backend_name() != "sqlite"
    expected = [] if own_pool else ["SELECT"] * 20
    assert statements == expected
